//! Conditions on answers, used by `when` in questions.toml and template.toml.
//!
//! Grammar (deliberately small): `expr := term (("and" | "or") term)*`, evaluated left to right;
//! `term := "not" term | KEY | KEY ("==" | "!=") LITERAL`; LITERAL is a quoted string,
//! `true`, `false` or an integer. A bare KEY is true for `true`, a non-empty string or list,
//! and a non-zero number.

use std::collections::BTreeMap;

use crate::questions::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    source: String,
    first: Term,
    rest: Vec<(Joiner, Term)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Joiner {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Not(Box<Term>),
    Truthy(String),
    Compare {
        key: String,
        equal: bool,
        literal: Literal,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Literal {
    Str(String),
    Bool(bool),
    Int(i64),
}

impl Condition {
    pub fn parse(source: &str) -> Result<Condition, String> {
        let tokens = tokenize(source)?;
        let mut pos = 0;
        let first = parse_term(&tokens, &mut pos)?;
        let mut rest = Vec::new();
        while pos < tokens.len() {
            let joiner = match tokens[pos].as_str() {
                "and" => Joiner::And,
                "or" => Joiner::Or,
                other => return Err(format!("expected `and` or `or`, found `{other}`")),
            };
            pos += 1;
            rest.push((joiner, parse_term(&tokens, &mut pos)?));
        }
        Ok(Condition {
            source: source.to_string(),
            first,
            rest,
        })
    }

    /// Every answer key the condition reads.
    pub fn keys(&self) -> Vec<&str> {
        fn key_of(t: &Term) -> &str {
            match t {
                Term::Not(inner) => key_of(inner),
                Term::Truthy(k) | Term::Compare { key: k, .. } => k,
            }
        }
        std::iter::once(&self.first)
            .chain(self.rest.iter().map(|(_, t)| t))
            .map(key_of)
            .collect()
    }

    pub fn eval(&self, answers: &BTreeMap<String, Value>) -> bool {
        let mut result = self.first.eval(answers);
        for (joiner, term) in &self.rest {
            let value = term.eval(answers);
            result = match joiner {
                Joiner::And => result && value,
                Joiner::Or => result || value,
            };
        }
        result
    }

    pub fn source(&self) -> &str {
        &self.source
    }
}

impl Term {
    fn eval(&self, answers: &BTreeMap<String, Value>) -> bool {
        match self {
            Term::Not(inner) => !inner.eval(answers),
            Term::Truthy(key) => match answers.get(key) {
                Some(Value::Bool(b)) => *b,
                Some(Value::Str(s)) => !s.is_empty(),
                Some(Value::Int(i)) => *i != 0,
                Some(Value::List(l)) => !l.is_empty(),
                Some(Value::Models(m)) => !m.is_empty(),
                None => false,
            },
            Term::Compare {
                key,
                equal,
                literal,
            } => {
                let same = match (answers.get(key), literal) {
                    (Some(Value::Str(s)), Literal::Str(l)) => s == l,
                    (Some(Value::Bool(b)), Literal::Bool(l)) => b == l,
                    (Some(Value::Int(i)), Literal::Int(l)) => i == l,
                    _ => false,
                };
                same == *equal
            }
        }
    }
}

fn tokenize(source: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut chars = source.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
        } else if c == '\'' || c == '"' {
            chars.next();
            let mut s = String::from(c);
            loop {
                match chars.next() {
                    Some(ch) if ch == c => break,
                    Some(ch) => s.push(ch),
                    None => return Err("unterminated string".into()),
                }
            }
            tokens.push(s);
        } else if c == '=' || c == '!' {
            chars.next();
            if chars.next() != Some('=') {
                return Err(format!("expected `{c}=`"));
            }
            tokens.push(format!("{c}="));
        } else if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            let mut word = String::new();
            while let Some(&ch) = chars.peek() {
                if ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' {
                    word.push(ch);
                    chars.next();
                } else {
                    break;
                }
            }
            tokens.push(word);
        } else {
            return Err(format!("unexpected character `{c}`"));
        }
    }
    if tokens.is_empty() {
        return Err("empty condition".into());
    }
    Ok(tokens)
}

fn parse_term(tokens: &[String], pos: &mut usize) -> Result<Term, String> {
    let Some(token) = tokens.get(*pos) else {
        return Err("condition ends too early".into());
    };
    *pos += 1;
    if token == "not" {
        return Ok(Term::Not(Box::new(parse_term(tokens, pos)?)));
    }
    if !token
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
    {
        return Err(format!("expected an answer key, found `{token}`"));
    }
    let key = token.clone();
    let equal = match tokens.get(*pos).map(String::as_str) {
        Some("==") => true,
        Some("!=") => false,
        _ => return Ok(Term::Truthy(key)),
    };
    *pos += 1;
    let Some(lit) = tokens.get(*pos) else {
        return Err("comparison needs a value".into());
    };
    *pos += 1;
    let literal = if let Some(s) = lit.strip_prefix(['\'', '"']) {
        Literal::Str(s.to_string())
    } else if lit == "true" || lit == "false" {
        Literal::Bool(lit == "true")
    } else if let Ok(i) = lit.parse() {
        Literal::Int(i)
    } else {
        return Err(format!(
            "expected a quoted string, true, false or a number, found `{lit}`"
        ));
    };
    Ok(Term::Compare {
        key,
        equal,
        literal,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_comparisons_and_joiners() {
        let mut answers = BTreeMap::new();
        answers.insert("secrets_backend".to_string(), Value::Str("sops".into()));
        answers.insert("sonarcloud".to_string(), Value::Bool(false));
        let c = Condition::parse("secrets_backend == 'sops' and not sonarcloud")
            .expect("test input is valid");
        assert!(c.eval(&answers));
        let c = Condition::parse("sonarcloud or secrets_backend != \"sops\"")
            .expect("test input is valid");
        assert!(!c.eval(&answers));
        assert!(Condition::parse("a ==").is_err());
        assert!(Condition::parse("a = 'b'").is_err());
        assert!(Condition::parse("").is_err());
    }
}
