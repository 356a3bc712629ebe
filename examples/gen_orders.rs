//! Synthetic shipping lists for the bulk-speed figures: a fraud list and an orders file of any
//! size, with real town names from the embedded gazetteer and invented block numbers, buildings,
//! rooms and buyers (nothing here is a real person's address).
//!
//! ```text
//! cargo run --release --example gen_orders -- --orders 1000000 --fraud 1000000 --dir /tmp/banchi-big [--seed 1]
//! ```
//! writes `DIR/orders.csv` (`order_id,order_time,name,phone,email,address`) and
//! `DIR/fraud.csv` (`id,address,reason`). About 2 % of the orders reuse a fraud entry's delivery
//! point written another way (full-width digits, 丁目番地号, another room), so the output has
//! every grade. Deterministic for a given seed. Big files are not committed: generate them.
//!
//! `--dense` also writes `DIR/orders_dense.csv` (`order_id,order_time,name,address`: points
//! with 10–100 orders each, 60 % of them fraud points) and `DIR/orders_sparse.csv` (the same
//! rows without the name column), the issue-13 lists.

use std::io::{BufWriter, Write};

#[path = "../benches/support_orders.rs"]
mod orders;
use std::path::PathBuf;

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() -> std::io::Result<()> {
    let orders: usize = arg("--orders", 1_000_000);
    let fraud: usize = arg("--fraud", 1_000_000);
    let seed: u64 = arg("--seed", 1);
    let dir: PathBuf = arg("--dir", PathBuf::from("/tmp/banchi-big"));
    std::fs::create_dir_all(&dir)?;
    let mut f = BufWriter::new(std::fs::File::create(dir.join("fraud.csv"))?);
    let mut o = BufWriter::new(std::fs::File::create(dir.join("orders.csv"))?);
    orders::generate(seed, fraud, orders, &mut f, &mut o)?;
    f.flush()?;
    o.flush()?;
    if std::env::args().any(|a| a == "--dense") {
        for (file, names) in [("orders_dense.csv", true), ("orders_sparse.csv", false)] {
            let mut d = BufWriter::new(std::fs::File::create(dir.join(file))?);
            orders::generate_dense(seed, fraud, orders, names, &mut d)?;
            d.flush()?;
        }
    }
    eprintln!(
        "wrote {} and {}",
        dir.join("fraud.csv").display(),
        dir.join("orders.csv").display()
    );
    Ok(())
}
