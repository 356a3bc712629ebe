//! banchi: Japanese shipping addresses into canonical parts, screened against fraud and
//! forwarding-service watchlists.

pub mod address;
pub mod bulk;
pub mod config;
pub mod error;
pub mod gazetteer;
pub mod normalize;
pub mod parse;
pub mod segment;
pub mod score;
pub mod screen;
pub mod watchlist;

pub use address::{Address, Anomaly, Level};
pub use error::{ParseError, MAX_INPUT_BYTES};
pub use parse::Parser;
pub use config::Config;
pub use score::{Buyer, RiskLevel, Score, Scorer};
pub use screen::{Screener, Screening};
pub use watchlist::{Grade, ListKind, MatchOptions, Watchlist};
