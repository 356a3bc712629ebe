//! Which input columns hold what: the address (one column or several joined), the buyer's
//! name, phone and e-mail, the order time — given by name or found by the usual header names
//! (English and Japanese), resolved once against a CSV/TSV header or as JSONL keys.

use crate::error::BulkError;

/// Header names taken as the address column when none is given (compared case-insensitively).
pub const ADDRESS_NAMES: &[&str] = &[
    "address",
    "住所",
    "shipping_address",
    "delivery_address",
    "お届け先住所",
    "配送先住所",
    "送付先住所",
];
/// Header names taken as the buyer name.
pub const NAME_NAMES: &[&str] = &[
    "name",
    "氏名",
    "名前",
    "buyer_name",
    "customer_name",
    "recipient",
    "recipient_name",
    "お届け先氏名",
    "配送先氏名",
    "購入者名",
];
/// Header names taken as the phone number.
pub const PHONE_NAMES: &[&str] = &[
    "phone",
    "tel",
    "telephone",
    "phone_number",
    "電話番号",
    "お届け先電話番号",
];
/// Header names taken as the e-mail address.
pub const EMAIL_NAMES: &[&str] = &["email", "e-mail", "mail", "メールアドレス"];
/// Header names taken as the order time (enables the time window of velocity).
pub const TIME_NAMES: &[&str] = &[
    "order_time",
    "ordered_at",
    "order_date",
    "created_at",
    "注文日時",
    "注文日",
];

/// Which columns (CSV/TSV header names, JSONL keys) hold what. Empty or `None`: found by the
/// default names above.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Address columns, joined with a space in this order.
    pub address: Vec<String>,
    /// Buyer name.
    pub name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Order time.
    pub time: Option<String>,
    /// Postal code, checked against the address (only when named: no default names).
    pub postal: Option<String>,
}

/// Column positions resolved against the header.
#[derive(Debug, Clone, Default)]
pub(super) struct Resolved {
    pub(super) address: Vec<usize>,
    pub(super) name: Option<usize>,
    pub(super) phone: Option<usize>,
    pub(super) email: Option<usize>,
    pub(super) time: Option<usize>,
    pub(super) postal: Option<usize>,
    pub(super) width: usize,
}

/// JSONL keys resolved (JSONL has no header: names are looked up per row).
#[derive(Debug, Clone, Default)]
pub(super) struct Keys {
    pub(super) address: Vec<String>,
    /// Several address keys given: join them (else the first one present is the address).
    pub(super) join_address: bool,
    pub(super) name: Vec<String>,
    pub(super) phone: Vec<String>,
    pub(super) email: Vec<String>,
    pub(super) time: Vec<String>,
    pub(super) postal: Vec<String>,
}

fn find(header: &[String], wanted: &[&str]) -> Option<usize> {
    wanted
        .iter()
        .find_map(|w| header.iter().position(|h| h.trim().eq_ignore_ascii_case(w)))
}

pub(super) fn resolve(header: &[String], c: &Columns) -> Result<Resolved, BulkError> {
    let named = |name: &str| {
        header
            .iter()
            .position(|h| h.trim() == name.trim())
            .or_else(|| find(header, &[name]))
            .ok_or_else(|| BulkError::UnknownColumn(name.to_owned()))
    };
    let address = if c.address.is_empty() {
        match find(header, ADDRESS_NAMES) {
            Some(i) => vec![i],
            None => {
                return Err(BulkError::NoAddressColumn {
                    wanted: ADDRESS_NAMES.join(", "),
                    header: header.join(", "),
                })
            }
        }
    } else {
        c.address
            .iter()
            .map(|n| named(n))
            .collect::<Result<_, _>>()?
    };
    let opt = |given: &Option<String>, defaults: &[&str]| -> Result<Option<usize>, BulkError> {
        match given {
            Some(n) => named(n).map(Some),
            None => Ok(find(header, defaults)),
        }
    };
    Ok(Resolved {
        address,
        name: opt(&c.name, NAME_NAMES)?,
        phone: opt(&c.phone, PHONE_NAMES)?,
        email: opt(&c.email, EMAIL_NAMES)?,
        time: opt(&c.time, TIME_NAMES)?,
        postal: opt(&c.postal, &[])?,
        width: header.len(),
    })
}

pub(super) fn keys(c: &Columns) -> Keys {
    let list = |given: &Option<String>, defaults: &[&str]| match given {
        Some(n) => vec![n.clone()],
        None => defaults.iter().map(|s| s.to_string()).collect(),
    };
    Keys {
        address: if c.address.is_empty() {
            ADDRESS_NAMES.iter().map(|s| s.to_string()).collect()
        } else {
            c.address.clone()
        },
        join_address: c.address.len() > 1,
        name: list(&c.name, NAME_NAMES),
        phone: list(&c.phone, PHONE_NAMES),
        email: list(&c.email, EMAIL_NAMES),
        time: list(&c.time, TIME_NAMES),
        postal: list(&c.postal, &[]),
    }
}
