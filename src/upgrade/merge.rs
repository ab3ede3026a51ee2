//! Pure content merging: three-way text merge (diff3 markers), `.gitignore`-style superset,
//! line-ending handling. No I/O.

use similar::{ConflictStyle, TextMerge};

/// Result of a three-way merge of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    pub contents: Vec<u8>,
    /// Number of conflicting regions (0: clean).
    pub conflicts: usize,
}

/// Labels for conflict markers.
pub struct Labels<'a> {
    pub ours: &'a str,
    pub base: &'a str,
    pub theirs: &'a str,
}

pub fn is_crlf(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w == b"\r\n")
}

fn to_lf(text: &str) -> String {
    text.replace("\r\n", "\n")
}

fn to_crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// Text with the owner's line endings: CRLF if the owner's file used CRLF.
pub fn in_owner_endings(owner: &[u8], text: &[u8]) -> Vec<u8> {
    match (is_crlf(owner), std::str::from_utf8(text)) {
        (true, Ok(t)) => to_crlf(t).into_bytes(),
        _ => text.to_vec(),
    }
}

/// Equal once line endings are normalised.
pub fn same_text(a: &[u8], b: &[u8]) -> bool {
    a == b
        || matches!((std::str::from_utf8(a), std::str::from_utf8(b)), (Ok(x), Ok(y)) if to_lf(x) == to_lf(y))
}

/// diff3-style three-way merge; `None` when any side is not UTF-8 (never merged line-wise).
/// A CRLF owner file is merged as LF and written back as CRLF.
pub fn three_way(base: &[u8], ours: &[u8], theirs: &[u8], labels: &Labels) -> Option<Merged> {
    let base = to_lf(std::str::from_utf8(base).ok()?);
    let ours_text = std::str::from_utf8(ours).ok()?;
    let crlf = is_crlf(ours);
    let ours_lf = to_lf(ours_text);
    let theirs = to_lf(std::str::from_utf8(theirs).ok()?);
    let mut merge = TextMerge::from_lines(base.as_str(), ours_lf.as_str(), theirs.as_str());
    merge
        .conflict_style(ConflictStyle::Diff3)
        .labels(labels.base, labels.ours, labels.theirs);
    let conflicts = merge.conflict_count();
    let text = merge.to_string();
    let text = if crlf { to_crlf(&text) } else { text };
    Some(Merged {
        contents: text.into_bytes(),
        conflicts,
    })
}

/// Every template line present, the owner's lines kept in their order; template lines the
/// owner lacks are appended in the template's order. `None` when not UTF-8.
pub fn superset(ours: &[u8], theirs: &[u8]) -> Option<Vec<u8>> {
    let ours_text = std::str::from_utf8(ours).ok()?;
    let theirs_text = to_lf(std::str::from_utf8(theirs).ok()?);
    let mut out = to_lf(ours_text);
    let have: std::collections::HashSet<&str> = ours_text.lines().map(str::trim_end).collect();
    let missing: Vec<&str> = theirs_text
        .lines()
        .filter(|l| !l.trim().is_empty() && !have.contains(l.trim_end()))
        .collect();
    if missing.is_empty() {
        return Some(ours.to_vec());
    }
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    for line in missing {
        out.push_str(line);
        out.push('\n');
    }
    Some(in_owner_endings(ours, out.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const L: Labels = Labels {
        ours: "yours",
        base: "ironplate 0.1.0",
        theirs: "ironplate 0.2.0",
    };

    #[test]
    fn disjoint_edits_merge_cleanly() {
        let m = three_way(b"a\nb\nc\nd\n", b"A\nb\nc\nd\n", b"a\nb\nc\nD\n", &L)
            .expect("test input is valid");
        assert_eq!(
            (m.contents.as_slice(), m.conflicts),
            (&b"A\nb\nc\nD\n"[..], 0)
        );
    }

    #[test]
    fn same_line_conflicts_with_labelled_diff3_markers() {
        let m = three_way(b"a\nb\n", b"x\nb\n", b"y\nb\n", &L).expect("test input is valid");
        assert_eq!(m.conflicts, 1);
        let text = String::from_utf8(m.contents).expect("test input is valid");
        assert_eq!(
            text,
            "<<<<<<< yours\nx\n||||||| ironplate 0.1.0\na\n=======\ny\n>>>>>>> ironplate 0.2.0\nb\n"
        );
    }

    #[test]
    fn crlf_owner_files_stay_crlf() {
        let m = three_way(
            b"a\nb\nc\nd\n",
            b"A\r\nb\r\nc\r\nd\r\n",
            b"a\nb\nc\nD\n",
            &L,
        )
        .expect("test input is valid");
        assert_eq!(
            (m.contents.as_slice(), m.conflicts),
            (&b"A\r\nb\r\nc\r\nD\r\n"[..], 0)
        );
    }

    #[test]
    fn binary_is_never_merged() {
        assert!(three_way(b"a\n", b"\xff\xfe", b"b\n", &L).is_none());
    }

    #[test]
    fn superset_keeps_owner_lines_and_adds_template_lines() {
        let out = superset(b"mine\n*.dec.yaml\n", b"# c\n*.dec.yaml\n.env\n")
            .expect("test input is valid");
        assert_eq!(out, b"mine\n*.dec.yaml\n# c\n.env\n");
        assert_eq!(
            superset(b"a\n", b"a\n").expect("test input is valid"),
            b"a\n"
        );
    }
}
