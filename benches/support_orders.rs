//! Synthetic shipping lists (shared by `examples/gen_orders.rs` and `benches/screen.rs`):
//! real town names from the embedded gazetteer, invented block numbers, buildings, rooms and
//! buyers. Deterministic for a seed.

#![allow(dead_code)]

use banchi::gazetteer::Gazetteer;
use std::io::{self, Write};

pub struct Rng(u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// A place: prefecture + municipality + town, and its chome range (0 = none).
pub struct Place {
    prefix: String,
    chome_max: u32,
}

/// A delivery point.
pub struct Point {
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

/// Towns whose names hold no digit, block word or Latin letter (one reading only).
pub fn places() -> Vec<Place> {
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
    places
}

fn point(rng: &mut Rng, places: &[Place]) -> Point {
    let place = rng.below(places.len());
    let cm = places[place].chome_max;
    let has_building = rng.chance(0.6);
    Point {
        place,
        chome: if cm > 0 {
            1 + rng.below(cm as usize) as u32
        } else {
            0
        },
        banchi: 1 + rng.below(60) as u32,
        go: 1 + rng.below(40) as u32,
        building: has_building.then(|| BUILDINGS[rng.below(BUILDINGS.len())]),
        room: has_building.then(|| 101 + rng.below(9) as u32 * 100 + rng.below(9) as u32),
    }
}

/// Writes a fraud list CSV (`id,address,reason`) of `n` entries and an orders CSV
/// (`order_id,order_time,name,phone,email,address`) of `orders` rows; about 2 % of the orders
/// reuse a fraud entry's delivery point written another way (full-width digits, 丁目番地号,
/// sometimes another room).
pub fn generate(
    seed: u64,
    n: usize,
    orders: usize,
    fraud_out: &mut dyn Write,
    orders_out: &mut dyn Write,
) -> io::Result<()> {
    let places = places();
    let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let mut kept: Vec<Point> = Vec::new();
    writeln!(fraud_out, "id,address,reason")?;
    const REASONS: &[&str] = &["chargeback", "credit_master", "resale", "unpaid", "other"];
    for i in 0..n {
        let p = point(&mut rng, &places);
        writeln!(
            fraud_out,
            "F{:07},{},{}",
            i + 1,
            write_point(&p, &places, 0),
            REASONS[rng.below(REASONS.len())]
        )?;
        if kept.len() < 20_000 {
            kept.push(p);
        }
    }
    writeln!(orders_out, "order_id,order_time,name,phone,email,address")?;
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
            point(&mut rng, &places)
        };
        if reuse && p.room.is_some() && rng.chance(0.3) {
            p.room = Some(p.room.unwrap_or(101) + 1);
        }
        let addr = write_point(&p, &places, rng.below(3));
        let minutes = i as u64 * 2;
        writeln!(
            orders_out,
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
    Ok(())
}

/// A dense list (issue 13), one day's orders: delivery points that each receive 10–100 orders under names drawn
/// from 100, the rows of all points interleaved at random; 60 % of the points are fraud-list
/// points written another way (so about 60 % of the rows are graded `danger` against the list
/// `generate` writes for the same seed and `fraud_n`). `with_names`: the name column (velocity)
/// or not ("sparse": the same rows without it). Columns: `order_id,order_time,[name,]address`.
pub fn generate_dense(
    seed: u64,
    fraud_n: usize,
    orders: usize,
    with_names: bool,
    orders_out: &mut dyn Write,
) -> io::Result<()> {
    let places = places();
    // The fraud points of `generate` for this seed, drawn the same way.
    let mut rng = Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B);
    let mut kept: Vec<Point> = Vec::new();
    for _ in 0..fraud_n.min(20_000) {
        kept.push(point(&mut rng, &places));
        rng.below(5);
    }
    let mut rng = Rng(seed ^ 0xD15E_A5E0_0000_0013);
    let mut points: Vec<Point> = Vec::new();
    let mut rows: Vec<u32> = Vec::with_capacity(orders);
    while rows.len() < orders {
        let p = if !kept.is_empty() && rng.chance(0.6) {
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
            point(&mut rng, &places)
        };
        let n = 10 + rng.below(91);
        let id = points.len() as u32;
        points.push(p);
        for _ in 0..n.min(orders - rows.len()) {
            rows.push(id);
        }
    }
    for i in (1..rows.len()).rev() {
        let j = rng.below(i + 1);
        rows.swap(i, j);
    }
    if with_names {
        writeln!(orders_out, "order_id,order_time,name,address")?;
    } else {
        writeln!(orders_out, "order_id,order_time,address")?;
    }
    for (i, &p) in rows.iter().enumerate() {
        let addr = write_point(&points[p as usize], &places, rng.below(3));
        // One day's orders: every point's names count together.
        let minutes = (i * 1440 / orders.max(1)) as u64;
        let name = format!(
            "{} {}",
            SURNAMES[rng.below(SURNAMES.len())],
            GIVEN[rng.below(GIVEN.len())]
        );
        write!(
            orders_out,
            "D{:08},2026-11-{:02} {:02}:{:02},",
            i + 1,
            1 + (minutes / 1440) % 28,
            (minutes / 60) % 24,
            minutes % 60,
        )?;
        if with_names {
            write!(orders_out, "{name},")?;
        }
        writeln!(orders_out, "{addr}")?;
    }
    Ok(())
}
