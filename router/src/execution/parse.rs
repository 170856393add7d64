//! Parses subgraph responses into borrowed [`Value`]s in one pass over the
//! bytes. Strings and numbers are checked against the JSON grammar (so
//! what is copied to clients is valid JSON) but not decoded.

use serde_json::{Map, Value as JsonValue};

use super::value::{Object, Value};

/// Deeper than any sensible response; stops a hostile one from
/// exhausting the stack.
const MAX_DEPTH: usize = 512;

#[derive(Debug, thiserror::Error)]
#[error("invalid JSON at byte {at}: {what}")]
pub struct ParseError {
    at: usize,
    what: &'static str,
}

/// A GraphQL response: `data` borrowed, `errors` decoded (they are rare
/// and are reshaped before they reach the client).
#[derive(Debug, Default)]
pub struct Response<'a> {
    pub data: Option<Value<'a>>,
    pub errors: Vec<Map<String, JsonValue>>,
}

/// Parses a whole GraphQL response body.
pub fn response(text: &str) -> Result<Response<'_>, ParseError> {
    let mut parser = Parser::new(text);
    let mut response = Response::default();
    parser.skip_space();
    parser.expect(b'{')?;
    parser.skip_space();
    if parser.eat(b'}') {
        return parser.end(response);
    }
    loop {
        parser.skip_space();
        let key = parser.string()?;
        parser.skip_space();
        parser.expect(b':')?;
        parser.skip_space();
        let start = parser.at;
        let value = parser.value(0)?;
        match key {
            "data" => response.data = Some(value),
            "errors" if !value.is_null() => {
                response.errors = serde_json::from_str(&text[start..parser.at])
                    .map_err(|_| parser.error("`errors` is not a list of objects"))?;
            }
            _ => {}
        }
        parser.skip_space();
        if parser.eat(b',') {
            continue;
        }
        parser.expect(b'}')?;
        return parser.end(response);
    }
}

/// Parses one JSON value.
pub fn value(text: &str) -> Result<Value<'_>, ParseError> {
    let mut parser = Parser::new(text);
    parser.skip_space();
    let value = parser.value(0)?;
    parser.end(value)
}

struct Parser<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    /// Fields and items of the objects and lists being parsed: each is
    /// moved out into a vector of exactly its size when it ends, one
    /// allocation instead of one per doubling.
    fields: Vec<(&'a str, Value<'a>)>,
    items: Vec<Value<'a>>,
    /// Recently seen keys. A key equal to one of them borrows that one's
    /// text, so the few distinct keys of a response stay in cache when
    /// the tree is searched later, instead of one copy per object.
    keys: [&'a str; KEY_SLOTS],
}

const KEY_SLOTS: usize = 64;

impl<'a> Parser<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            at: 0,
            fields: Vec::new(),
            items: Vec::new(),
            keys: [""; KEY_SLOTS],
        }
    }

    fn error(&self, what: &'static str) -> ParseError {
        ParseError { at: self.at, what }
    }

    fn end<T>(&mut self, parsed: T) -> Result<T, ParseError> {
        self.skip_space();
        if self.at == self.bytes.len() { Ok(parsed) } else { Err(self.error("trailing text")) }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        let found = self.peek() == Some(byte);
        self.at += usize::from(found);
        found
    }

    fn expect(&mut self, byte: u8) -> Result<(), ParseError> {
        if self.eat(byte) { Ok(()) } else { Err(self.error("unexpected character")) }
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        if depth > MAX_DEPTH {
            return Err(self.error("nested too deeply"));
        }
        match self.peek() {
            Some(b'{') => self.object(depth),
            Some(b'[') => self.list(depth),
            Some(b'"') => self.string().map(Value::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.word("true").map(Value::Raw),
            Some(b'f') => self.word("false").map(Value::Raw),
            Some(b'n') => self.word("null").map(|_| Value::Null),
            _ => Err(self.error("expected a value")),
        }
    }

    fn object(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.at += 1;
        self.skip_space();
        if self.eat(b'}') {
            return Ok(Value::Object(Object::new()));
        }
        let start = self.fields.len();
        loop {
            self.skip_space();
            let key = self.key()?;
            self.skip_space();
            self.expect(b':')?;
            self.skip_space();
            let value = self.value(depth + 1)?;
            self.fields.push((key, value));
            self.skip_space();
            if self.eat(b',') {
                continue;
            }
            self.expect(b'}')?;
            return Ok(Value::Object(self.fields.drain(start..).collect()));
        }
    }

    fn list(&mut self, depth: usize) -> Result<Value<'a>, ParseError> {
        self.at += 1;
        self.skip_space();
        if self.eat(b']') {
            return Ok(Value::List(Vec::new()));
        }
        let start = self.items.len();
        loop {
            self.skip_space();
            let item = self.value(depth + 1)?;
            self.items.push(item);
            self.skip_space();
            if self.eat(b',') {
                continue;
            }
            self.expect(b']')?;
            return Ok(Value::List(self.items.drain(start..).collect()));
        }
    }

    /// An object key, interned among the recently seen ones.
    fn key(&mut self) -> Result<&'a str, ParseError> {
        let key = self.string()?;
        let bytes = key.as_bytes();
        let slot = match (bytes.first(), bytes.last()) {
            (Some(first), Some(last)) => {
                (usize::from(*first) ^ usize::from(*last).rotate_left(3) ^ bytes.len()) % KEY_SLOTS
            }
            _ => return Ok(key),
        };
        let known = self.keys[slot];
        if known == key {
            return Ok(known);
        }
        self.keys[slot] = key;
        Ok(key)
    }

    /// A string's escaped contents, checked: only valid escapes, no
    /// control characters.
    fn string(&mut self) -> Result<&'a str, ParseError> {
        self.expect(b'"')?;
        let start = self.at;
        loop {
            let rest = &self.bytes[self.at..];
            let Some(offset) = memchr::memchr2(b'"', b'\\', rest) else {
                return Err(self.error("unterminated string"));
            };
            // A fold rather than `any`: no early exit, so it vectorises.
            if rest[..offset].iter().fold(false, |control, &b| control | (b < 0x20)) {
                return Err(self.error("control character in string"));
            }
            self.at += offset;
            if self.bytes[self.at] == b'"' {
                let contents = &self.text[start..self.at];
                self.at += 1;
                return Ok(contents);
            }
            self.escape()?;
        }
    }

    fn escape(&mut self) -> Result<(), ParseError> {
        match self.bytes.get(self.at + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                self.at += 2;
                Ok(())
            }
            Some(b'u') => {
                let hex = self.bytes.get(self.at + 2..self.at + 6);
                if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                    return Err(self.error("invalid \\u escape"));
                }
                self.at += 6;
                Ok(())
            }
            _ => Err(self.error("invalid escape")),
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    fn number(&mut self) -> Result<Value<'a>, ParseError> {
        let start = self.at;
        self.eat(b'-');
        if !self.eat(b'0') && self.digits() == 0 {
            return Err(self.error("invalid number"));
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err(self.error("invalid number"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.error("invalid number"));
            }
        }
        Ok(Value::Raw(&self.text[start..self.at]))
    }

    fn digits(&mut self) -> usize {
        let count = self.bytes[self.at..].iter().take_while(|b| b.is_ascii_digit()).count();
        self.at += count;
        count
    }

    fn word(&mut self, word: &'static str) -> Result<&'a str, ParseError> {
        let end = self.at + word.len();
        if self.bytes.get(self.at..end) != Some(word.as_bytes()) {
            return Err(self.error("expected a value"));
        }
        let text = &self.text[self.at..end];
        self.at = end;
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_yields_borrowed_data_and_decoded_errors() {
        let text = r#" {"data": {"a": [1, -2.5e-3, "x\"y", null, true, {}], "b": {}},
                        "errors": [{"message": "boom", "path": ["a", 0]}], "extensions": {"k": 1}} "#;
        let response = response(text).expect("parses");
        let data = response.data.expect("data");
        assert_eq!(
            data.get("a"),
            Some(&Value::List(vec![
                Value::Raw("1"),
                Value::Raw("-2.5e-3"),
                Value::Str(r#"x\"y"#),
                Value::Null,
                Value::Raw("true"),
                Value::Object(Vec::new()),
            ]))
        );
        assert_eq!(response.errors.len(), 1);
        assert_eq!(response.errors[0]["message"], "boom");
    }

    #[test]
    fn text_that_is_not_json_is_refused() {
        for bad in [
            "",
            "{",
            r#"{"data": }"#,
            r#"{"data": "unterminated}"#,
            r#"{"data": "bad \q escape"}"#,
            "{\"data\": \"raw\ncontrol\"}",
            r#"{"data": 01}"#,
            r#"{"data": 1.}"#,
            r#"{"data": tru}"#,
            r#"{"data": {}} trailing"#,
            r#"{"data": [1,]}"#,
            r#"{"errors": {"message": "not a list"}}"#,
        ] {
            assert!(response(bad).is_err(), "{bad:?} was accepted");
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert!(value(&deep).is_err());
    }
}
