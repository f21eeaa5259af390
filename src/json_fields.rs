//! Typed reads of a JSON object's fields, for the messages the browser build decodes often
//! (stats entries every second, signaling messages). Written by hand rather than derived
//! with serde: the derived visitors (and the buffering internally tagged enums need) were a
//! large part of the wasm.
//!
//! A missing or `null` field reads as `None` (or is a [`FieldError::Missing`] where it is
//! required, see [`Fields::need`]); one with the wrong JSON type is a
//! [`FieldError::WrongType`] naming it. Fields nobody asks for are ignored.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A field that is missing, or whose JSON value has the wrong type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("`{field}` is not {expected}")]
    WrongType { field: &'static str, expected: &'static str },
}

/// The fields of one JSON object.
pub struct Fields<'a>(&'a Map<String, Value>);

impl<'a> Fields<'a> {
    /// `None` when the value is not a JSON object.
    pub fn of(value: &'a Value) -> Option<Fields<'a>> {
        value.as_object().map(Fields)
    }

    /// The object's `type`, if it is a string.
    pub fn kind(&self) -> Option<&'a str> {
        self.0.get("type").and_then(Value::as_str)
    }

    pub fn string(&self, field: &'static str) -> Result<Option<String>, FieldError> {
        self.read(field, "a string", |v| v.as_str().map(str::to_owned))
    }

    pub fn f64(&self, field: &'static str) -> Result<Option<f64>, FieldError> {
        self.read(field, "a number", Value::as_f64)
    }

    pub fn u64(&self, field: &'static str) -> Result<Option<u64>, FieldError> {
        self.read(field, "a whole number of at least 0", Value::as_u64)
    }

    pub fn u32(&self, field: &'static str) -> Result<Option<u32>, FieldError> {
        self.read(field, "a whole number from 0 to 4294967295", |v| v.as_u64().and_then(|n| u32::try_from(n).ok()))
    }

    pub fn u16(&self, field: &'static str) -> Result<Option<u16>, FieldError> {
        self.read(field, "a whole number from 0 to 65535", |v| v.as_u64().and_then(|n| u16::try_from(n).ok()))
    }

    pub fn i64(&self, field: &'static str) -> Result<Option<i64>, FieldError> {
        self.read(field, "a whole number", Value::as_i64)
    }

    pub fn bool(&self, field: &'static str) -> Result<Option<bool>, FieldError> {
        self.read(field, "true or false", Value::as_bool)
    }

    /// An array of strings.
    pub fn strings(&self, field: &'static str) -> Result<Option<Vec<String>>, FieldError> {
        self.read(field, "an array of strings", |v| {
            v.as_array()?.iter().map(|s| s.as_str().map(str::to_owned)).collect()
        })
    }

    /// A keyword such as `kind` or `target`, read by the type's own serde names (a
    /// `#[serde(other)]` variant takes the values it does not know).
    pub fn keyword<T: DeserializeOwned>(&self, field: &'static str) -> Result<Option<T>, FieldError> {
        self.read(field, "one of its known words", |v| T::deserialize(v).ok())
    }

    /// A nested object, read by `read`.
    pub fn object<T>(
        &self,
        field: &'static str,
        read: impl FnOnce(&Fields<'a>) -> Result<T, FieldError>,
    ) -> Result<Option<T>, FieldError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => {
                let fields = Fields::of(value).ok_or(FieldError::WrongType { field, expected: "an object" })?;
                read(&fields).map(Some)
            }
        }
    }

    /// An array of objects, each read by `read`.
    pub fn objects<T>(
        &self,
        field: &'static str,
        read: impl Fn(&Fields<'a>) -> Result<T, FieldError>,
    ) -> Result<Option<Vec<T>>, FieldError> {
        let wrong = FieldError::WrongType { field, expected: "an array of objects" };
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| read(&Fields::of(item).ok_or(wrong.clone())?))
                .collect::<Result<Vec<T>, FieldError>>()
                .map(Some),
            Some(_) => Err(wrong),
        }
    }

    /// A required field, read by one of the methods above:
    /// `fields.need("sdp", Fields::string)`.
    pub fn need<T>(
        &self,
        field: &'static str,
        read: impl FnOnce(&Self, &'static str) -> Result<Option<T>, FieldError>,
    ) -> Result<T, FieldError> {
        read(self, field)?.ok_or(FieldError::Missing(field))
    }

    fn read<T>(
        &self,
        field: &'static str,
        expected: &'static str,
        convert: impl FnOnce(&'a Value) -> Option<T>,
    ) -> Result<Option<T>, FieldError> {
        match self.0.get(field) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => convert(value).map(Some).ok_or(FieldError::WrongType { field, expected }),
        }
    }
}
