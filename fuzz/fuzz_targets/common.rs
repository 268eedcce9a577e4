//! What the targets share: a sink that keeps nothing, and the policy the data targets read
//! with (every field type, a unit, an enum, a grouped rule).

use guiju::report::{Finding, Sink, Summary};
use guiju::DataDiag;

/// Drops everything a run reports; the fuzzer looks only for panics, hangs and memory errors.
pub struct Discard;

impl Sink for Discard {
    fn data_diag(&mut self, _: &DataDiag) {}
    fn finding(&mut self, _: &Finding) {}
    fn end(&mut self, _: &Summary) {}
}

pub const POLICY: &str = r#"policy fz "模糊测试"
  document "测〔2017〕1号"
record household "搬迁户" {
  id         text key            "户编号"
  county     text optional       "县"
  members    int unit 人         "家庭人口"
  floor_area decimal unit m²     "住房建筑面积"
  subsidy    decimal optional unit 元 "补助资金"
  poor       bool optional       "建档立卡贫困户"
  moved      date optional       "搬迁日期"
  kind       enum { a "集中", b "分散" } optional "安置方式"
}
rule area "人均住房面积不超过25平方米" {
  cite line 1 "人均住房标准25平方米以内"
  applies to household where poor
  require floor_area / members <= 25 m²
}
rule moved_in_time "年底前搬迁" {
  cite line 2 "年底前"
  applies to household where kind == a
  require moved <= 2017-12-31
}
rule county_share "补助人均" {
  cite line 3 "人均"
  applies to household grouped by county
  require 50% ≈ sum(subsidy) / (count() * 16000 元)
}
"#;

pub fn as_of() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2017, 6, 30).unwrap_or_default()
}
