//! Units of measure: dimensions with exact decimal scales, so `100万元` equals `1000000元`.

use rust_decimal::Decimal;
use std::fmt;

/// Exponents of the base dimensions: area (m²), land area (亩), money (元), length (米).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Dim {
    pub area: i8,
    pub land: i8,
    pub money: i8,
    pub length: i8,
}

impl Dim {
    pub const NONE: Dim = Dim {
        area: 0,
        land: 0,
        money: 0,
        length: 0,
    };

    pub fn is_none(&self) -> bool {
        *self == Dim::NONE
    }

    pub fn mul(self, o: Dim) -> Dim {
        Dim {
            area: self.area + o.area,
            land: self.land + o.land,
            money: self.money + o.money,
            length: self.length + o.length,
        }
    }

    pub fn div(self, o: Dim) -> Dim {
        Dim {
            area: self.area - o.area,
            land: self.land - o.land,
            money: self.money - o.money,
            length: self.length - o.length,
        }
    }

    pub fn describe(&self) -> (&'static str, &'static str) {
        match (self.area, self.land, self.money, self.length) {
            (0, 0, 0, 0) => ("无量纲数", "a plain number"),
            (1, 0, 0, 0) => ("面积", "an area"),
            (0, 1, 0, 0) => ("土地面积（亩）", "a land area in 亩"),
            (0, 0, 1, 0) => ("金额", "an amount of money"),
            (0, 0, 0, 1) => ("长度", "a length"),
            _ => ("复合单位的量", "a quantity of a compound unit"),
        }
    }
}

/// How a quantity is shown: a unit name and how many base units one of it is.
/// Values are always held in base units (元, m², 亩, 米; ratios as fractions).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Unit {
    pub dim: Dim,
    pub name: String,
    pub scale: Decimal,
    /// A counting label (人, 户, …) that is shown but takes no part in dimensions.
    pub count: bool,
}

impl Unit {
    pub fn none() -> Unit {
        Unit {
            dim: Dim::NONE,
            name: String::new(),
            scale: Decimal::ONE,
            count: false,
        }
    }

    pub fn is_percent(&self) -> bool {
        self.name == "%" || self.name == "‰"
    }

    /// The unit of `a * b`.
    pub fn mul(&self, o: &Unit) -> Unit {
        let dim = self.dim.mul(o.dim);
        pick_display(dim, self, o)
    }

    /// The unit of `a / b`.
    pub fn div(&self, o: &Unit) -> Unit {
        let dim = self.dim.div(o.dim);
        if dim.is_none() {
            return Unit::none();
        }
        pick_display(dim, self, o)
    }
}

fn pick_display(dim: Dim, a: &Unit, b: &Unit) -> Unit {
    if dim.is_none() {
        return Unit::none();
    }
    if a.dim == dim && !a.count {
        return a.clone();
    }
    if b.dim == dim && !b.count {
        return b.clone();
    }
    base_unit(dim)
}

/// The base unit of a dimension, for display.
pub fn base_unit(dim: Dim) -> Unit {
    let name = match (dim.area, dim.land, dim.money, dim.length) {
        (1, 0, 0, 0) => "m²".to_string(),
        (0, 1, 0, 0) => "亩".to_string(),
        (0, 0, 1, 0) => "元".to_string(),
        (0, 0, 0, 1) => "米".to_string(),
        _ => {
            let mut parts = Vec::new();
            for (e, n) in [
                (dim.area, "m²"),
                (dim.land, "亩"),
                (dim.money, "元"),
                (dim.length, "米"),
            ] {
                match e {
                    0 => {}
                    1 => parts.push(n.to_string()),
                    _ => parts.push(format!("{n}^{e}")),
                }
            }
            parts.join("·")
        }
    };
    Unit {
        dim,
        name,
        scale: Decimal::ONE,
        count: false,
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// Looks up a unit as written in a policy or a data cell.
pub fn lookup(name: &str) -> Option<Unit> {
    let d = |area, land, money, length| Dim {
        area,
        land,
        money,
        length,
    };
    let (dim, scale, count, canonical): (Dim, Decimal, bool, &str) = match name {
        "m²" | "m2" | "平方米" | "㎡" => (d(1, 0, 0, 0), Decimal::ONE, false, "m²"),
        "万平方米" => (d(1, 0, 0, 0), Decimal::from(10_000), false, "万平方米"),
        "亩" => (d(0, 1, 0, 0), Decimal::ONE, false, "亩"),
        "万亩" => (d(0, 1, 0, 0), Decimal::from(10_000), false, "万亩"),
        "元" => (d(0, 0, 1, 0), Decimal::ONE, false, "元"),
        "万元" => (d(0, 0, 1, 0), Decimal::from(10_000), false, "万元"),
        "亿元" => (d(0, 0, 1, 0), Decimal::from(100_000_000), false, "亿元"),
        "米" | "m" => (d(0, 0, 0, 1), Decimal::ONE, false, "米"),
        "公里" | "千米" | "km" => (d(0, 0, 0, 1), Decimal::from(1000), false, "公里"),
        "%" | "％" => (Dim::NONE, Decimal::new(1, 2), false, "%"),
        "‰" => (Dim::NONE, Decimal::new(1, 3), false, "‰"),
        "人" | "户" | "件" | "个" | "次" | "人次" | "所" | "项" | "家" | "名" | "套" | "座"
        | "辆" | "篇" | "条" => (Dim::NONE, Decimal::ONE, true, name),
        _ => return None,
    };
    Some(Unit {
        dim,
        name: canonical.to_string(),
        scale,
        count,
    })
}

/// Splits a data cell such as `100万元`, `25 平方米` or `50%` into number text and unit.
pub fn split_number_unit(cell: &str) -> (&str, Option<&str>) {
    let t = cell.trim();
    let end = t
        .char_indices()
        .find(|(i, c)| {
            !(c.is_ascii_digit() || *c == '.' || *c == ',' || ((*c == '-' || *c == '+') && *i == 0))
        })
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let (num, rest) = t.split_at(end);
    let rest = rest.trim();
    (num, if rest.is_empty() { None } else { Some(rest) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_scales_are_exact() {
        let wan = lookup("万元").unwrap();
        let yuan = lookup("元").unwrap();
        assert_eq!(wan.dim, yuan.dim);
        assert_eq!(
            Decimal::from(100) * wan.scale,
            Decimal::from(1_000_000) * yuan.scale
        );
    }

    #[test]
    fn area_per_person_is_area() {
        let m2 = lookup("m²").unwrap();
        let ren = lookup("人").unwrap();
        let u = m2.div(&ren);
        assert_eq!(u.dim, m2.dim);
        assert_eq!(u.name, "m²");
    }

    #[test]
    fn ratio_of_like_quantities_is_plain() {
        let yuan = lookup("万元").unwrap();
        assert!(yuan.div(&yuan).dim.is_none());
    }

    #[test]
    fn split_cells() {
        assert_eq!(split_number_unit("100万元"), ("100", Some("万元")));
        assert_eq!(split_number_unit(" 25 平方米"), ("25", Some("平方米")));
        assert_eq!(split_number_unit("-3.5"), ("-3.5", None));
        assert_eq!(split_number_unit("69.23%"), ("69.23", Some("%")));
    }
}
