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

use banchi::gazetteer::Gazetteer;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::args()
        .skip_while(|a| a != name)
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A place: prefecture + municipality + town, and its chome range (0 = none).
struct Place {
    prefix: String,
    chome_max: u32,
}

/// A delivery point.
struct Point {
    place: usize,
    chome: u32,
    banchi: u32,
    go: u32,
    building: Option<&'static str>,
    room: Option<u32>,
}

const BUILDINGS: &[&str] = &[
    "コーポ黒猫",
    "メゾン白猫",
    "ハイツ三毛",
    "サバトラ荘",
    "キジトラビル",
    "ネコノスマンション",
    "パレス茶虎",
    "グランハチワレ",
];
const SURNAMES: &[&str] = &[
    "黒猫", "白猫", "三毛", "茶虎", "錆猫", "縞猫", "灰猫", "斑猫", "虎猫", "鉤尾",
];
const GIVEN: &[&str] = &[
    "花子", "次郎", "三郎", "四郎", "五月", "六花", "七海", "八重", "九郎", "十和",
];

fn fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '0'..='9' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            '-' => '－',
            c => c,
        })
        .collect()
}

fn write_point(p: &Point, places: &[Place], style: usize) -> String {
    let place = &places[p.place];
    let mut s = place.prefix.clone();
    let block = match style % 3 {
        0 | 1 => {
            let mut b = String::new();
            if p.chome > 0 {
                b.push_str(&format!("{}-", p.chome));
            }
            b.push_str(&format!("{}-{}", p.banchi, p.go));
            if style % 3 == 1 {
                fullwidth(&b)
            } else {
                b
            }
        }
        _ => {
            let mut b = String::new();
            if p.chome > 0 {
                b.push_str(&format!("{}丁目", p.chome));
            }
            b.push_str(&format!("{}番{}号", p.banchi, p.go));
            b
        }
    };
    s.push_str(&block);
    if let Some(b) = p.building {
        s.push(' ');
        s.push_str(b);
    }
    if let Some(r) = p.room {
        s.push_str(&format!(" {r}号室"));
    }
    s
}

fn main() -> std::io::Result<()> {
    let orders: usize = arg("--orders", 1_000_000);
    let fraud: usize = arg("--fraud", 1_000_000);
    let seed: u64 = arg("--seed", 1);
    let dir: PathBuf = arg("--dir", PathBuf::from("/tmp/banchi-big"));
    std::fs::create_dir_all(&dir)?;
    let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);

    let g = Gazetteer::get();
    let mut places = Vec::new();
    for id in 0..g.town_count() as u32 {
        let t = g.town(id);
        let plain = t.name.chars().count() >= 2
            && t.in_japan_post()
            && !t.name.chars().any(|c| {
                c.is_ascii_alphanumeric()
                    || ('０'..='９').contains(&c)
                    || "一二三四五六七八九十丁番号条線地割の之ノ・".contains(c)
            });
        if !plain {
            continue;
        }
        let city = g.city(t.city);
        let Some(pref) = g.prefecture(city.pref) else {
            continue;
        };
        places.push(Place {
            prefix: format!("{}{}{}", pref.name, city.full_name(), t.name),
            chome_max: if t.has_chome() {
                t.chome_max.min(9) as u32
            } else {
                0
            },
        });
    }
    eprintln!("{} towns usable", places.len());

    let point = |rng: &mut Rng| {
        let place = rng.below(places.len());
        let cm = places[place].chome_max;
        let has_building = rng.chance(0.6);
        Point {
            place,
            chome: if cm > 0 { 1 + rng.below(cm as usize) as u32 } else { 0 },
            banchi: 1 + rng.below(60) as u32,
            go: 1 + rng.below(40) as u32,
            building: has_building.then(|| BUILDINGS[rng.below(BUILDINGS.len())]),
            room: has_building.then(|| 101 + rng.below(9) as u32 * 100 + rng.below(9) as u32),
        }
    };

    // Fraud list.
    let mut kept: Vec<Point> = Vec::new();
    let mut f = BufWriter::new(std::fs::File::create(dir.join("fraud.csv"))?);
    writeln!(f, "id,address,reason")?;
    const REASONS: &[&str] = &["chargeback", "credit_master", "resale", "unpaid", "other"];
    for i in 0..fraud {
        let p = point(&mut rng);
        writeln!(
            f,
            "F{:07},{},{}",
            i + 1,
            write_point(&p, &places, 0),
            REASONS[rng.below(REASONS.len())]
        )?;
        if kept.len() < 20_000 {
            kept.push(p);
        }
    }
    f.flush()?;

    // Orders.
    let mut o = BufWriter::new(std::fs::File::create(dir.join("orders.csv"))?);
    writeln!(o, "order_id,order_time,name,phone,email,address")?;
    for i in 0..orders {
        let reuse = !kept.is_empty() && rng.chance(0.02);
        let mut p = if reuse {
            let k = &kept[rng.below(kept.len())];
            Point {
                place: k.place,
                chome: k.chome,
                banchi: k.banchi,
                go: k.go,
                building: k.building,
                room: k.room,
            }
        } else {
            point(&mut rng)
        };
        if reuse && p.room.is_some() && rng.chance(0.3) {
            p.room = Some(p.room.unwrap_or(101) + 1);
        }
        let addr = write_point(&p, &places, rng.below(3));
        let minutes = i as u64 * 2;
        writeln!(
            o,
            "O{:08},2026-11-{:02} {:02}:{:02},{} {},0{}0-{:04}-{:04},buyer{}@shop-mail.jp,{}",
            i + 1,
            1 + (minutes / 1440) % 28,
            (minutes / 60) % 24,
            minutes % 60,
            SURNAMES[rng.below(SURNAMES.len())],
            GIVEN[rng.below(GIVEN.len())],
            7 + rng.below(3),
            1000 + rng.below(9000),
            1000 + rng.below(9000),
            i + 1,
            addr
        )?;
    }
    o.flush()?;
    eprintln!(
        "wrote {} and {}",
        dir.join("fraud.csv").display(),
        dir.join("orders.csv").display()
    );
    Ok(())
}
