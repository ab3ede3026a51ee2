//! YAML read into a small tree that remembers where each node starts (1-based line), for
//! finding values structurally (pins on upgrade, facts for audit).

use saphyr::{LoadableYamlNode, MarkedYamlOwned, ScalarOwned, YamlDataOwned};

/// Where a node starts: 1-based line, 0-based column (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A scalar as text (`true`, `3`, `1.5` included), with where it starts and ends.
    Scalar {
        value: String,
        at: Pos,
        end: Pos,
        /// A string in YAML's terms (quoted, or plain text that is no number, bool or null):
        /// written back, it must stay a string.
        is_str: bool,
    },
    Seq {
        items: Vec<Node>,
        at: Pos,
    },
    Map {
        entries: Vec<Entry>,
        at: Pos,
    },
    Null {
        at: Pos,
    },
}

/// One key of a mapping: the key's text and position, and its value.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_at: Pos,
    pub value: Node,
}

impl Node {
    pub fn pos(&self) -> Pos {
        match self {
            Node::Scalar { at, .. }
            | Node::Seq { at, .. }
            | Node::Map { at, .. }
            | Node::Null { at } => *at,
        }
    }

    pub fn line(&self) -> usize {
        self.pos().line
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|e| &e.value)
    }

    pub fn entry(&self, key: &str) -> Option<&Entry> {
        match self {
            Node::Map { entries, .. } => entries.iter().find(|e| e.key == key),
            _ => None,
        }
    }

    /// Follows `a.b.c` through mappings.
    pub fn at(&self, path: &str) -> Option<&Node> {
        path.split('.').try_fold(self, |node, key| node.get(key))
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Node::Scalar { value, .. } => Some(value),
            _ => None,
        }
    }

    pub fn str_at(&self, path: &str) -> Option<&str> {
        self.at(path).and_then(Node::str)
    }

    pub fn items(&self) -> &[Node] {
        match self {
            Node::Seq { items, .. } => items,
            _ => &[],
        }
    }

    pub fn entries(&self) -> &[Entry] {
        match self {
            Node::Map { entries, .. } => entries,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self, Node::Map { .. })
    }

    /// Every node of the tree, this one first (depth first).
    pub fn walk<'a>(&'a self, visit: &mut dyn FnMut(&'a Node)) {
        visit(self);
        match self {
            Node::Seq { items, .. } => items.iter().for_each(|n| n.walk(visit)),
            Node::Map { entries, .. } => entries.iter().for_each(|e| e.value.walk(visit)),
            _ => {}
        }
    }
}

/// A YAML syntax error and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub line: usize,
    pub message: String,
}

/// Every document of a YAML text.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    let docs = MarkedYamlOwned::load_from_str(text).map_err(|e| YamlError {
        line: e.marker().line(),
        message: e.info().to_string(),
    })?;
    let src = Source::new(text);
    Ok(docs.iter().map(|d| convert(d, &src)).collect())
}

/// The text being parsed, for the source form of numbers: `0440` stays `0440` (an octal file
/// mode to Kubernetes, which reads YAML 1.1), `1.0` stays `1.0`.
struct Source<'a> {
    text: &'a str,
    /// Byte offset of each character, when the text is not ASCII (markers count characters).
    offsets: Option<Vec<usize>>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Source<'a> {
        let offsets = (!text.is_ascii()).then(|| {
            text.char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect()
        });
        Source { text, offsets }
    }

    fn slice(&self, start: usize, end: usize) -> Option<&'a str> {
        let byte = |i: usize| match &self.offsets {
            Some(o) => o.get(i).copied(),
            None => (i <= self.text.len()).then_some(i),
        };
        self.text.get(byte(start)?..byte(end)?)
    }
}

fn pos(marker: &saphyr::Marker) -> Pos {
    Pos {
        line: marker.line(),
        col: marker.col(),
    }
}

fn convert(node: &MarkedYamlOwned, src: &Source) -> Node {
    let at = pos(&node.span.start);
    let raw = |fallback: String| {
        src.slice(node.span.start.index(), node.span.end.index())
            .map(str::trim)
            .filter(|r| !r.is_empty() && !r.contains(['\n', '#']))
            .map_or(fallback, str::to_string)
    };
    let scalar = |value: String, is_str: bool| Node::Scalar {
        value,
        at,
        end: pos(&node.span.end),
        is_str,
    };
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::Null) => Node::Null { at },
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => scalar(b.to_string(), false),
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => scalar(raw(i.to_string()), false),
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => scalar(raw(f.to_string()), false),
        YamlDataOwned::Value(ScalarOwned::String(s)) => scalar(s.clone(), true),
        YamlDataOwned::Representation(s, _, _) => scalar(s.clone(), false),
        YamlDataOwned::Sequence(items) => Node::Seq {
            items: items.iter().map(|i| convert(i, src)).collect(),
            at,
        },
        YamlDataOwned::Mapping(map) => Node::Map {
            entries: map
                .iter()
                .map(|(k, v)| Entry {
                    key: match convert(k, src) {
                        Node::Scalar { value, .. } => value,
                        _ => String::new(),
                    },
                    key_at: pos(&k.span.start),
                    value: convert(v, src),
                })
                .collect(),
            at,
        },
        YamlDataOwned::Tagged(_, inner) => convert(inner, src),
        _ => Node::Null { at },
    }
}

/// One step of a path into a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// A scalar value and where it sits: its path from the document root and its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leaf {
    pub path: Vec<Seg>,
    pub value: String,
    pub line: usize,
}

enum Frame {
    Map { key: Option<String> },
    Seq { index: usize },
}

/// Every scalar of every document, from the parser's events (no tree is built: this is the
/// fast path for finding a few values by path).
pub fn leaves(text: &str) -> Result<Vec<Vec<Leaf>>, YamlError> {
    use saphyr_parser::{Event, Parser};
    let mut docs: Vec<Vec<Leaf>> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let path_of = |stack: &[Frame]| -> Vec<Seg> {
        stack
            .iter()
            .filter_map(|f| match f {
                Frame::Map { key } => key.clone().map(Seg::Key),
                Frame::Seq { index } => Some(Seg::Index(*index)),
            })
            .collect()
    };
    // After a value: a mapping waits for its next key, a sequence moves to its next item.
    fn advance(stack: &mut [Frame]) {
        match stack.last_mut() {
            Some(Frame::Map { key }) => *key = None,
            Some(Frame::Seq { index }) => *index += 1,
            None => {}
        }
    }
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| YamlError {
            line: e.marker().line(),
            message: e.info().to_string(),
        })?;
        match event {
            Event::DocumentStart(_) => {
                docs.push(Vec::new());
                stack.clear();
            }
            Event::MappingStart(..) => stack.push(Frame::Map { key: None }),
            Event::SequenceStart(..) => stack.push(Frame::Seq { index: 0 }),
            Event::MappingEnd | Event::SequenceEnd => {
                stack.pop();
                advance(&mut stack);
            }
            Event::Scalar(value, ..) => match stack.last_mut() {
                Some(Frame::Map { key }) if key.is_none() => *key = Some(value.into_owned()),
                _ => {
                    if let Some(doc) = docs.last_mut() {
                        doc.push(Leaf {
                            path: path_of(&stack),
                            value: value.into_owned(),
                            line: span.start.line(),
                        });
                    }
                    advance(&mut stack);
                }
            },
            Event::Alias(_) => advance(&mut stack),
            _ => {}
        }
    }
    Ok(docs)
}

impl Node {
    /// A string scalar made by the tool (merged documents); positions are meaningless.
    pub fn string(value: impl Into<String>) -> Node {
        Node::Scalar {
            value: value.into(),
            at: Pos::default(),
            end: Pos::default(),
            is_str: true,
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match self {
            Node::Map { entries, .. } => entries
                .iter_mut()
                .find(|e| e.key == key)
                .map(|e| &mut e.value),
            _ => None,
        }
    }

    /// Sets `key` (added last when absent). No-op on a non-mapping.
    pub fn set(&mut self, key: &str, value: Node) {
        if let Node::Map { entries, .. } = self {
            match entries.iter_mut().find(|e| e.key == key) {
                Some(e) => e.value = value,
                None => entries.push(Entry {
                    key: key.to_string(),
                    key_at: Pos::default(),
                    value,
                }),
            }
        }
    }
}

/// Writes one document in block style: two-space indents, sequences indented under their key
/// (the style of the generated repo's yamllint config), strings quoted only where a plain
/// scalar would read back as something else, long strings folded, multi-line ones literal.
pub fn emit(node: &Node) -> String {
    let mut out = String::new();
    emit_block(node, 0, &mut out);
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn is_empty_collection(node: &Node) -> bool {
    match node {
        Node::Map { entries, .. } => entries.is_empty(),
        Node::Seq { items, .. } => items.is_empty(),
        _ => true,
    }
}

fn emit_block(node: &Node, indent: usize, out: &mut String) {
    match node {
        Node::Map { entries, .. } if !entries.is_empty() => {
            for e in entries {
                pad(out, indent);
                emit_entry(e, indent, out);
            }
        }
        Node::Seq { items, .. } if !items.is_empty() => {
            for item in items {
                pad(out, indent);
                out.push_str("- ");
                emit_item(item, indent + 2, out);
            }
        }
        other => {
            pad(out, indent);
            out.push_str(&inline_value(other, indent));
            out.push('\n');
        }
    }
}

fn emit_entry(e: &Entry, indent: usize, out: &mut String) {
    out.push_str(&scalar_text(&e.key));
    out.push(':');
    if is_empty_collection(&e.value) {
        out.push(' ');
        out.push_str(&inline_value(&e.value, indent + 2));
        out.push('\n');
    } else {
        out.push('\n');
        emit_block(&e.value, indent + 2, out);
    }
}

/// An item after its `- `; `indent` is the column its content starts at.
fn emit_item(item: &Node, indent: usize, out: &mut String) {
    match item {
        Node::Map { entries, .. } if !entries.is_empty() => {
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    pad(out, indent);
                }
                emit_entry(e, indent, out);
            }
        }
        Node::Seq { items, .. } if !items.is_empty() => {
            for (i, inner) in items.iter().enumerate() {
                if i > 0 {
                    pad(out, indent);
                }
                out.push_str("- ");
                emit_item(inner, indent + 2, out);
            }
        }
        other => {
            out.push_str(&inline_value(other, indent));
            out.push('\n');
        }
    }
}

/// A value that fits after `key: ` or `- `; block scalars continue at `indent`.
fn inline_value(node: &Node, indent: usize) -> String {
    match node {
        Node::Null { .. } => "null".into(),
        Node::Map { .. } => "{}".into(),
        Node::Seq { .. } => "[]".into(),
        Node::Scalar { value, is_str, .. } if !is_str => value.clone(),
        Node::Scalar { value, .. } => string_value(value, indent),
    }
}

fn string_value(s: &str, indent: usize) -> String {
    let printable = s
        .chars()
        .all(|c| c == '\n' || (c != '\t' && crate::render::yaml_printable(c)) && c != '\r');
    if printable && s.contains('\n') {
        if let Some(block) = literal_block(s, indent) {
            return block;
        }
    }
    // Folded only past what yamllint allows on a line (150), at a comfortable width.
    let fold_at = 120usize.saturating_sub(indent).max(60);
    if printable
        && !s.contains('\n')
        && indent + s.len() > 140
        && !s.contains("  ")
        && !s.starts_with(' ')
        && !s.ends_with(' ')
        && !s.starts_with(['#', '>', '|', '"', '\''])
    {
        let mut lines = vec![String::new()];
        for word in s.split(' ') {
            let line = lines.last_mut().expect("one line");
            if !line.is_empty() && line.len() + 1 + word.len() > fold_at {
                lines.push(word.to_string());
            } else {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
            }
        }
        if lines.len() > 1 {
            let mut out = String::from(">-");
            for line in lines {
                out.push('\n');
                out.extend(std::iter::repeat_n(' ', indent));
                out.push_str(&line);
            }
            return out;
        }
    }
    scalar_text(s)
}

/// `|`, `|-` or `|+` with the lines at `indent`; None where a literal block cannot hold the
/// text exactly (leading spaces on the first line, trailing spaces that lint would flag).
fn literal_block(s: &str, indent: usize) -> Option<String> {
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    };
    if body.is_empty() || body.starts_with(' ') || body.lines().any(|l| l.ends_with(' ')) {
        return None;
    }
    let mut out = String::from(chomp);
    for line in s[..body.len()]
        .split('\n')
        .chain(std::iter::repeat_n("", trailing.saturating_sub(1)))
    {
        out.push('\n');
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', indent));
            out.push_str(line);
        }
    }
    Some(out)
}

/// A string scalar on one line: plain when it reads back as the same string (under YAML 1.1
/// too, as Kubernetes reads it), else single-quoted, else double-quoted with escapes.
pub fn scalar_text(s: &str) -> String {
    const WORDS: [&str; 12] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf", "~",
    ];
    // `:` only where no space follows: `name:tag@sha256:…` is one plain scalar.
    let word_chars = |rest: &str| {
        rest.chars()
            .all(|c| c.is_ascii_alphanumeric() || "._/-@:".contains(c))
            && !rest.ends_with(':')
    };
    let starts_ok = s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        || s.starts_with("./")
        || s.starts_with("../")
        || (s.starts_with('-') && s[1..].starts_with(|c: char| c.is_ascii_alphabetic()));
    // Quantities and durations such as 500m, 20Gi, 10m: digits then letters only.
    let digits = s.trim_start_matches(|c: char| c.is_ascii_digit());
    let quantity = digits.len() < s.len()
        && !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_alphabetic())
        && !digits.starts_with(['e', 'E', 'x', 'X', 'b', 'B', 'o', 'O']);
    if (starts_ok && word_chars(s) && !WORDS.contains(&s.to_ascii_lowercase().as_str())) || quantity
    {
        return s.to_string();
    }
    let single_ok = s
        .chars()
        .all(|c| c != '\n' && c != '\t' && c != '\r' && crate::render::yaml_printable(c))
        && !s.is_empty()
        && !s.starts_with(' ')
        && !s.ends_with(' ');
    if single_ok && !s.contains(['"', '\\']) {
        format!("\"{s}\"")
    } else if single_ok {
        format!("'{}'", s.replace('\'', "''"))
    } else {
        crate::render::yaml_scalar(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based_and_per_node() {
        let docs = parse("a: 1\nb:\n  c: \"x\"\n---\nd: [1, 2]\n").expect("test input is valid");
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0].at("b.c").map(|n| (n.str(), n.line())),
            Some((Some("x"), 3))
        );
        assert_eq!(
            docs[1].get("d").expect("test input is valid").items().len(),
            2
        );
        let err = parse("a: [\n").unwrap_err();
        assert!(err.line >= 1);
    }

    #[test]
    fn leaves_carry_paths_and_lines() {
        let docs = leaves(
            "kind: X\nspec:\n  items:\n    - name: a\n      v: 1\n    - [p, q]\n---\nz: ok\n",
        )
        .expect("test input is valid");
        assert_eq!(docs.len(), 2);
        let v = docs[0]
            .iter()
            .find(|l| l.value == "1")
            .expect("test input is valid");
        assert_eq!(
            v.path,
            vec![
                Seg::Key("spec".into()),
                Seg::Key("items".into()),
                Seg::Index(0),
                Seg::Key("v".into())
            ]
        );
        assert_eq!(v.line, 5);
        let q = docs[0]
            .iter()
            .find(|l| l.value == "q")
            .expect("test input is valid");
        assert_eq!(
            q.path,
            vec![
                Seg::Key("spec".into()),
                Seg::Key("items".into()),
                Seg::Index(1),
                Seg::Index(1)
            ]
        );
        assert_eq!(docs[1][0].path, vec![Seg::Key("z".into())]);
    }
}

#[cfg(test)]
mod pos_tests {
    use super::*;

    #[test]
    fn positions_of_keys_items_and_scalars() {
        let text = "a:\n  - name: x\n    image: \"p:1\"\n  - k: v\n";
        let docs = parse(text).expect("test input is valid");
        let item = &docs[0].get("a").expect("test input is valid").items()[0];
        assert_eq!(item.pos(), Pos { line: 2, col: 4 });
        let image = item.entry("image").expect("test input is valid");
        assert_eq!(image.key_at, Pos { line: 3, col: 4 });
        match &image.value {
            Node::Scalar { at, end, .. } => {
                assert_eq!((at.line, at.col, end.line, end.col), (3, 11, 3, 16));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[cfg(test)]
mod emit_tests {
    use super::*;

    /// Every string the emitter writes reads back as the same document.
    #[test]
    fn emitted_documents_read_back_the_same() {
        let text = r#"
apiVersion: v1
kind: X
metadata:
  name: a
  labels: {}
spec:
  n: 3
  b: true
  s: "3"
  y: "yes"
  q: "it's \"quoted\""
  e: ""
  nul: null
  cpu: 500m
  mode: 0440
  f: 1.0
  path: /bin/sh
  flag: -ec
  neg: "-1"
  list:
    - a
    - name: x
      v: [1, 2]
      m:
        k: v
    - - p
      - q
    - []
  script: |
    line one
    line two
  stripped: "no newline\nat end"
  long: "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr ssss tttt uuuu vvvv wwww xxxx yyyy zzzz aaaa bbbb cccc dddd eeee ffff gggg"
  colon: "a: b # c"
"#;
        let docs = parse(text).expect("test input is valid");
        let emitted = emit(&docs[0]);
        let again = parse(&emitted).unwrap_or_else(|e| panic!("{e:?}\n{emitted}"));
        let (a, b) = (strip(&docs[0]), strip(&again[0]));
        assert_eq!(a, b, "{emitted}");
        assert!(emitted.contains("cpu: 500m\n"), "{emitted}");
        assert!(emitted.contains("mode: 0440\n  f: 1.0\n"), "{emitted}");
        assert!(emitted.contains("\"y\": \"yes\"\n"), "{emitted}");
        assert!(
            emitted.contains("  list:\n    - a\n    - name: x\n"),
            "{emitted}"
        );
        assert!(emitted.contains("long: >-\n"), "{emitted}");
    }

    fn strip(node: &Node) -> Node {
        match node {
            Node::Scalar { value, is_str, .. } => Node::Scalar {
                value: value.clone(),
                at: Pos::default(),
                end: Pos::default(),
                is_str: *is_str,
            },
            Node::Seq { items, .. } => Node::Seq {
                items: items.iter().map(strip).collect(),
                at: Pos::default(),
            },
            Node::Map { entries, .. } => Node::Map {
                entries: entries
                    .iter()
                    .map(|e| Entry {
                        key: e.key.clone(),
                        key_at: Pos::default(),
                        value: strip(&e.value),
                    })
                    .collect(),
                at: Pos::default(),
            },
            Node::Null { .. } => Node::Null { at: Pos::default() },
        }
    }
}
