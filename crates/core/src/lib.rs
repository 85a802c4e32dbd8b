//! Domain types shared by every part of tawasul: what a post, a direct message, an account and a
//! label are, and the registry that says which body each government account belongs to.
//!
//! Pure: no I/O beyond parsing a registry text the caller has read.
#![deny(missing_docs)]

pub mod access;
pub mod calendar;
pub mod model;
pub mod registry;
pub mod scorecard;
pub mod sla;
pub mod snowflake;

pub use calendar::{BusinessCalendar, CalendarError, CalendarSpec, Timeline};
pub use model::{
    AccountInfo, DirectMessage, Label, Media, Mention, Metrics, Post, PostKind, Record,
};
pub use registry::{AccountKind, Body, BodyKind, Registry, RegistryAccount, RegistryError};
