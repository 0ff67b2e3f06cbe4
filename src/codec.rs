//! A compact binary form for the values the page and the engine hand each other (the frames'
//! [`crate::ui::wire`] types, the scenario and its links [`crate::scenario::wire`]): one
//! hand-written encoder and decoder, shared by every wasm that sends or reads them, so that
//! none needs a serde format to read what another wrote.
//!
//! ```text
//!   unsigned integers: LEB128 (7 bits a byte)   f64: 8 bytes, little-endian (bit for bit: NaN
//!   stays NaN)   f32: 4 bytes   bool: 0 / 1   String: length, UTF-8   Option: 0 / 1, value
//!   Vec: length, items   map: length, (key, value) in key order   struct: its fields in order
//!   enum: its tag (a byte), its fields
//! ```
//!
//! Both ends are built from the same source, so the layout needs no version: a field added to
//! a type must be added to its line (the struct macros take every field by name, so one left
//! out does not compile). Decoding never panics: bytes that do not decode give `None`.

use std::collections::BTreeMap;
use std::rc::Rc;

/// Any value of the wire's types as bytes.
pub fn to_bytes<T: Wire>(value: &T) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1024));
    value.put(&mut w);
    w.0
}

/// Bytes as a value of the wire's types; `None` if they do not decode or bytes are left over.
pub fn from_bytes<T: Wire>(bytes: &[u8]) -> Option<T> {
    let mut r = Reader { bytes, at: 0 };
    let value = T::take(&mut r)?;
    (r.at == bytes.len()).then_some(value)
}

/// Where encoded bytes go.
pub struct Writer(Vec<u8>);

impl Writer {
    /// One byte.
    pub fn byte(&mut self, b: u8) {
        self.0.push(b);
    }

    /// An unsigned integer, 7 bits a byte (LEB128).
    pub fn varint(&mut self, mut n: u64) {
        while n >= 0x80 {
            self.0.push((n as u8) | 0x80);
            n >>= 7;
        }
        self.0.push(n as u8);
    }
}

/// Where decoded bytes come from.
pub struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    /// One byte.
    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.at)?;
        self.at += 1;
        Some(b)
    }

    /// The next `n` bytes.
    pub fn slice(&mut self, n: usize) -> Option<&[u8]> {
        let end = self.at.checked_add(n)?;
        let s = self.bytes.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    /// An unsigned integer written by [`Writer::varint`].
    pub fn varint(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            n |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    /// A count of items, at most the bytes left (every item takes at least one byte), so that
    /// bad bytes cannot ask for a huge allocation.
    pub fn count(&mut self) -> Option<usize> {
        let n = usize::try_from(self.varint()?).ok()?;
        (n <= self.bytes.len() - self.at).then_some(n)
    }
}

/// A type the wire carries.
pub trait Wire: Sized {
    /// Appends its bytes.
    fn put(&self, w: &mut Writer);
    /// Reads one back (`None`: the bytes are not one).
    fn take(r: &mut Reader) -> Option<Self>;
}

macro_rules! wire_uint {
    ($($t:ty),*) => {$(
        impl Wire for $t {
            fn put(&self, w: &mut Writer) {
                w.varint(*self as u64);
            }
            fn take(r: &mut Reader) -> Option<Self> {
                <$t>::try_from(r.varint()?).ok()
            }
        }
    )*};
}
wire_uint!(u16, u32, u64, usize);

impl Wire for u8 {
    fn put(&self, w: &mut Writer) {
        w.byte(*self);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        r.byte()
    }
}

impl Wire for bool {
    fn put(&self, w: &mut Writer) {
        w.byte(u8::from(*self));
    }
    fn take(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Wire for f64 {
    fn put(&self, w: &mut Writer) {
        w.0.extend_from_slice(&self.to_le_bytes());
    }
    fn take(r: &mut Reader) -> Option<Self> {
        Some(f64::from_le_bytes(r.slice(8)?.try_into().ok()?))
    }
}

impl Writer {
    /// A string: its length in bytes, then its UTF-8.
    pub fn str(&mut self, s: &str) {
        self.varint(s.len() as u64);
        self.0.extend_from_slice(s.as_bytes());
    }
}

impl Wire for String {
    fn put(&self, w: &mut Writer) {
        w.str(self);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = r.count()?;
        String::from_utf8(r.slice(n)?.to_vec()).ok()
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, w: &mut Writer) {
        match self {
            None => w.byte(0),
            Some(v) => {
                w.byte(1);
                v.put(w);
            }
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        match r.byte()? {
            0 => Some(None),
            1 => Some(Some(T::take(r)?)),
            _ => None,
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        for item in self {
            item.put(w);
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = r.count()?;
        (0..n).map(|_| T::take(r)).collect()
    }
}

/// The dots: a length, then 4 bytes each.
impl Wire for Vec<f32> {
    fn put(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        w.0.reserve(self.len() * 4);
        for x in self {
            w.0.extend_from_slice(&x.to_le_bytes());
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = usize::try_from(r.varint()?).ok()?;
        let bytes = r.slice(n.checked_mul(4)?)?;
        Some(
            bytes
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect(),
        )
    }
}

impl<T: Wire> Wire for Rc<T> {
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        T::take(r).map(Rc::new)
    }
}

impl<T: Wire> Wire for Box<T> {
    fn put(&self, w: &mut Writer) {
        (**self).put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        T::take(r).map(Box::new)
    }
}

impl<A: Wire, B: Wire> Wire for (A, B) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        Some((A::take(r)?, B::take(r)?))
    }
}

impl<A: Wire, B: Wire, C: Wire, D: Wire> Wire for (A, B, C, D) {
    fn put(&self, w: &mut Writer) {
        self.0.put(w);
        self.1.put(w);
        self.2.put(w);
        self.3.put(w);
    }
    fn take(r: &mut Reader) -> Option<Self> {
        Some((A::take(r)?, B::take(r)?, C::take(r)?, D::take(r)?))
    }
}

/// A map as its length, then each key and value, in key order.
impl<K: Wire + Ord, V: Wire> Wire for BTreeMap<K, V> {
    fn put(&self, w: &mut Writer) {
        w.varint(self.len() as u64);
        for (k, v) in self {
            k.put(w);
            v.put(w);
        }
    }
    fn take(r: &mut Reader) -> Option<Self> {
        let n = r.count()?;
        (0..n).map(|_| Some((K::take(r)?, V::take(r)?))).collect()
    }
}

/// A struct as its fields in order; every field must be named (the destructuring and the
/// struct expression do not compile otherwise). Fields after `;` are not sent: they decode as
/// their default.
macro_rules! wire_struct {
    ($t:ident { $($f:ident),* $(,)? } $(; $($skip:ident),*)?) => {
        impl $crate::codec::Wire for $t {
            fn put(&self, w: &mut $crate::codec::Writer) {
                let $t { $($f,)* $($($skip: _,)*)? } = self;
                $($crate::codec::Wire::put($f, w);)*
            }
            fn take(r: &mut $crate::codec::Reader) -> Option<Self> {
                Some($t {
                    $($f: $crate::codec::Wire::take(r)?,)*
                    $($($skip: Default::default(),)*)?
                })
            }
        }
    };
}

/// An enum as a tag byte and the variant's fields: `tag => Variant`, `tag => Variant(a, b)`
/// or `tag => Variant { a, b }` (the names in parentheses only bind the fields).
macro_rules! wire_enum {
    ($t:ident { $($tag:literal => $v:ident $(($($tf:ident),*))? $({$($sf:ident),*})?),* $(,)? }) => {
        impl $crate::codec::Wire for $t {
            fn put(&self, w: &mut $crate::codec::Writer) {
                match self {
                    $($t::$v $(($($tf),*))? $({$($sf),*})? => {
                        w.byte($tag);
                        $($($crate::codec::Wire::put($tf, w);)*)?
                        $($($crate::codec::Wire::put($sf, w);)*)?
                    })*
                }
            }
            fn take(r: &mut $crate::codec::Reader) -> Option<Self> {
                Some(match r.byte()? {
                    $($tag => $t::$v
                        $(($({ let $tf = $crate::codec::Wire::take(r)?; $tf }),*))?
                        $({$($sf: $crate::codec::Wire::take(r)?),*})?,)*
                    _ => return None,
                })
            }
        }
    };
}

pub(crate) use wire_enum;
pub(crate) use wire_struct;
