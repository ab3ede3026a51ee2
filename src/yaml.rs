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
    Ok(docs.iter().map(convert).collect())
}

fn pos(marker: &saphyr::Marker) -> Pos {
    Pos {
        line: marker.line(),
        col: marker.col(),
    }
}

fn convert(node: &MarkedYamlOwned) -> Node {
    let at = pos(&node.span.start);
    let scalar = |value: String| Node::Scalar {
        value,
        at,
        end: pos(&node.span.end),
    };
    match &node.data {
        YamlDataOwned::Value(ScalarOwned::Null) => Node::Null { at },
        YamlDataOwned::Value(ScalarOwned::Boolean(b)) => scalar(b.to_string()),
        YamlDataOwned::Value(ScalarOwned::Integer(i)) => scalar(i.to_string()),
        YamlDataOwned::Value(ScalarOwned::FloatingPoint(f)) => scalar(f.to_string()),
        YamlDataOwned::Value(ScalarOwned::String(s)) => scalar(s.clone()),
        YamlDataOwned::Representation(s, _, _) => scalar(s.clone()),
        YamlDataOwned::Sequence(items) => Node::Seq {
            items: items.iter().map(convert).collect(),
            at,
        },
        YamlDataOwned::Mapping(map) => Node::Map {
            entries: map
                .iter()
                .map(|(k, v)| Entry {
                    key: match convert(k) {
                        Node::Scalar { value, .. } => value,
                        _ => String::new(),
                    },
                    key_at: pos(&k.span.start),
                    value: convert(v),
                })
                .collect(),
            at,
        },
        YamlDataOwned::Tagged(_, inner) => convert(inner),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_one_based_and_per_node() {
        let docs = parse("a: 1\nb:\n  c: \"x\"\n---\nd: [1, 2]\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0].at("b.c").map(|n| (n.str(), n.line())),
            Some((Some("x"), 3))
        );
        assert_eq!(docs[1].get("d").unwrap().items().len(), 2);
        let err = parse("a: [\n").unwrap_err();
        assert!(err.line >= 1);
    }

    #[test]
    fn leaves_carry_paths_and_lines() {
        let docs = leaves(
            "kind: X\nspec:\n  items:\n    - name: a\n      v: 1\n    - [p, q]\n---\nz: ok\n",
        )
        .unwrap();
        assert_eq!(docs.len(), 2);
        let v = docs[0].iter().find(|l| l.value == "1").unwrap();
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
        let q = docs[0].iter().find(|l| l.value == "q").unwrap();
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
        let docs = parse(text).unwrap();
        let item = &docs[0].get("a").unwrap().items()[0];
        assert_eq!(item.pos(), Pos { line: 2, col: 4 });
        let image = item.entry("image").unwrap();
        assert_eq!(image.key_at, Pos { line: 3, col: 4 });
        match &image.value {
            Node::Scalar { at, end, .. } => {
                assert_eq!((at.line, at.col, end.line, end.col), (3, 11, 3, 16));
            }
            other => panic!("{other:?}"),
        }
    }
}
