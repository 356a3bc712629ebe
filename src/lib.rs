//! banchi: Japanese shipping addresses into canonical parts, screened against fraud and
//! forwarding-service watchlists.
//!
//! The crate is a pipeline, one module per stage (see `ARCHITECTURE.md`):
//! [`normalize`] → [`parse`] (against the embedded [`gazetteer`], with [`segment`] for free
//! text) → [`Address`] → [`watchlist`] grades → [`screen::Screener`].
//!
//! # Parsing an address
//!
//! Any notation of one delivery point gives the same parts and the same [`Address::key`]:
//!
//! ```
//! use banchi::{Level, Parser};
//!
//! let parser = Parser::new();
//! let a = parser.parse("大阪府大阪市北区梅田３丁目１−１ 大阪ビル12F")?;
//! assert_eq!(a.city.as_deref(), Some("大阪市北区"));
//! assert_eq!((a.town.as_deref(), a.chome), (Some("梅田"), Some(3)));
//! assert_eq!((a.banchi.as_deref(), a.go.as_deref()), (Some("1"), Some("1")));
//! assert_eq!((a.building.as_deref(), a.floor.as_deref()), (Some("大阪ビル"), Some("12")));
//! assert_eq!(a.level, Level::Unit);
//!
//! let b = parser.parse("大阪市北区梅田三丁目一番一号　大阪ビル１２階")?;
//! assert_eq!(a.key, b.key);
//! # Ok::<(), banchi::ParseError>(())
//! ```
//!
//! # Odd notation is reported, not hidden
//!
//! ```
//! use banchi::{Anomaly, Parser};
//!
//! let a = Parser::new().parse("東京都世田谷区東京都黒猫1-1-1-101ハイツ黒猫")?;
//! assert!(a.has(Anomaly::DuplicatedPrefecture));
//! assert!(a.has(Anomaly::UnknownTown)); // 黒猫 is not a real town: its text is kept
//! assert_eq!((a.chome, a.room.as_deref()), (Some(1), Some("101")));
//!
//! let b = Parser::new().parse("長野県長野市南長野県町")?; // a real name with 県 twice
//! assert!(!b.has(Anomaly::DuplicatedPrefecture));
//! # Ok::<(), banchi::ParseError>(())
//! ```
//!
//! # Bad input is an error, never a panic
//!
//! ```
//! use banchi::{ParseError, Parser};
//!
//! let p = Parser::new();
//! assert_eq!(p.parse("   "), Err(ParseError::Empty));
//! assert!(matches!(p.parse(&"1".repeat(100_000)), Err(ParseError::TooLong { .. })));
//! assert_eq!(p.parse("hello world"), Err(ParseError::Unrecognized));
//! ```

// No panic paths on input: the library's own code neither unwraps nor expects (tests and
// doc examples may). An `expect` on a compiled-in table stays, allowed where it stands with
// its reason.
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used))]

pub mod address;
pub mod bulk;
pub mod config;
pub mod error;
pub mod gazetteer;
pub mod normalize;
pub mod parse;
pub mod score;
pub mod screen;
pub mod segment;
pub mod watchlist;

pub use address::{Address, Anomaly, Level};
pub use config::Config;
pub use error::{ParseError, MAX_INPUT_BYTES};
pub use parse::Parser;
pub use score::{Buyer, RiskLevel, Score, Scorer};
pub use screen::{Screener, Screening};
pub use watchlist::{Grade, ListKind, MatchOptions, Watchlist};
