//! The catalogue of every diagnostic code guiju can emit, for `guiju explain CODE`.
//!
//! Codes by first letter: `E` policy errors and `W` policy warnings (the checker), `I` problems
//! in input data, `U` usage problems on the command line, `V` verdicts of rules on records.
//! A test (tests/reports.rs) greps `src/` for every code and asserts it has an entry here, and
//! compiles each policy example to check it shows its code.

use crate::diag::Lang;

/// What an entry's example is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExampleKind {
    /// A whole policy file that, checked, reports this code (tests compile it).
    Policy,
    /// Data, a command line or an output, shown as is.
    Text,
}

/// One code's page.
#[derive(Debug, Clone, Copy)]
pub struct CodeInfo {
    pub code: &'static str,
    pub title_zh: &'static str,
    pub title_en: &'static str,
    pub zh: &'static str,
    pub en: &'static str,
    pub example_kind: ExampleKind,
    pub example: &'static str,
}

impl CodeInfo {
    pub fn title(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.title_zh,
            Lang::En => self.title_en,
        }
    }

    pub fn description(&self, lang: Lang) -> &'static str {
        match lang {
            Lang::Zh => self.zh,
            Lang::En => self.en,
        }
    }

    /// The page as `guiju explain` prints it.
    pub fn render(&self, lang: Lang) -> String {
        let kind = match (self.code.chars().next(), lang) {
            (Some('E'), Lang::Zh) => "策略错误",
            (Some('E'), Lang::En) => "policy error",
            (Some('W'), Lang::Zh) => "策略警告",
            (Some('W'), Lang::En) => "policy warning",
            (Some('I'), Lang::Zh) => "数据问题",
            (Some('I'), Lang::En) => "input problem",
            (Some('U'), Lang::Zh) => "用法错误",
            (Some('U'), Lang::En) => "usage error",
            (_, Lang::Zh) => "检查结果",
            (_, Lang::En) => "verdict",
        };
        let example = match lang {
            Lang::Zh => "示例：",
            Lang::En => "Example:",
        };
        let body: String = self.example.lines().map(|l| format!("    {l}\n")).collect();
        format!(
            "{} — {} ({kind})\n\n{}\n\n{example}\n\n{body}",
            self.code,
            self.title(lang),
            self.description(lang).trim()
        )
    }
}

/// Finds a code's page; case-insensitive (`e0202` finds `E0202`).
pub fn lookup(code: &str) -> Option<&'static CodeInfo> {
    let code = code.trim().trim_matches(|c| c == '[' || c == ']');
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

/// The closest known code to a mistyped one, if any is close.
pub fn did_you_mean(code: &str) -> Option<&'static str> {
    let upper = code.trim().to_ascii_uppercase();
    let digits: String = upper.chars().filter(char::is_ascii_digit).collect();
    // A bare number (`202`, `0202`) names the code with those digits when there is only one.
    if !digits.is_empty() && digits.len() <= 4 {
        let padded = format!("{digits:0>4}");
        let same: Vec<&CodeInfo> = CODES
            .iter()
            .filter(|c| c.code.get(1..) == Some(padded.as_str()))
            .collect();
        if let [one] = same.as_slice() {
            return Some(one.code);
        }
    }
    CODES
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&upper, c.code), c.code))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

const fn policy(
    code: &'static str,
    title_zh: &'static str,
    title_en: &'static str,
    zh: &'static str,
    en: &'static str,
    example: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        title_zh,
        title_en,
        zh,
        en,
        example_kind: ExampleKind::Policy,
        example,
    }
}

const fn text(
    code: &'static str,
    title_zh: &'static str,
    title_en: &'static str,
    zh: &'static str,
    en: &'static str,
    example: &'static str,
) -> CodeInfo {
    CodeInfo {
        code,
        title_zh,
        title_en,
        zh,
        en,
        example_kind: ExampleKind::Text,
        example,
    }
}

/// Every code, in order.
pub static CODES: &[CodeInfo] = &[
    // ------------------------------------------------------------ E00: reading the policy text
    policy(
        "E0001",
        "语法错误",
        "syntax error",
        "策略文件不符合语法：出现了此处不应有的词，或文件意外结束，或缺少 `policy` 头部。\
诊断指出无法识别的词，并列出此处可以出现的内容。常见原因：关键字拼写错误、\
漏写右花括号 `}`、字符串缺少引号。每个顶层条目（记录、规则、示例）单独解析：一条规则的语法错误\
不会掩盖下一条规则，每个条目报告其第一处语法错误，解析成功的条目照常检查。",
        "The policy file does not follow the grammar: a word appears where it cannot, the file ends \
early, or the `policy` header is missing. The diagnostic points at the first word it cannot read \
and lists what may stand there. Common causes: a misspelt keyword, a missing closing brace `}`, a \
string without its quotes. Each top-level item (record, rule, example) is parsed on its own: a \
syntax error in one rule does not hide the next, each item reports its first syntax error, and the \
items that parse are checked as usual.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require amount <= 500 万元
  mesage "超过上限"        # E0001: `mesage` is not a keyword (message)
}"#,
    ),
    policy(
        "E0002",
        "无效的字面量",
        "invalid literal",
        "语法上合法，但值本身无效：不存在的日期（如 2月30日）、无效的时间、缺少数字的时长、\
超出范围的数字等。请改为实际存在的值。",
        "The text has the right shape but the value does not exist: a date such as 30 February, an \
invalid time, a duration without its number, a number out of range. Write a value that exists.",
        r#"policy demo "示例"
  issued 2017-02-30          # E0002: February has no 30th day"#,
    ),
    policy(
        "E0010",
        "嵌套过深",
        "nested too deeply",
        "策略文本的嵌套超过上限（见 docs/limits.md）：括号与连用的 `not`、`if` 最多嵌套 32 层；\
一个表达式的语法树最多 64 层，一串 n 项的加法或 n 个连用的负号算 n 层。上限保证检查与求值\
不会耗尽线程的栈。请用 `let` 为部分表达式命名，把它拆成几步。",
        "The policy text nests deeper than the limits (see docs/limits.md): brackets and chained \
`not` and `if` nest at most 32 levels; the syntax tree of one expression is at most 64 levels deep, \
and a sum of n terms or n chained minus signs counts n. The limits keep checking and evaluation \
within a thread's stack. Name parts of the expression with `let` to split it into steps.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require ((((((((((((((((((((((((((((((((amount)))))))))))))))))))))))))))))))) <= 500 万元
}"#,
    ),
    text(
        "E0011",
        "表达式过大",
        "expression too large",
        "一个表达式最多由 5000 个部分（名称、数字、运算）组成（见 docs/limits.md）。\
请用 `let` 为部分表达式命名，或把规则拆成几条。",
        "One expression has at most 5,000 parts (names, numbers, operations); see \
docs/limits.md. Name parts of it with `let`, or split the rule.",
        "require a in [\"A1\", \"A2\", …, \"A6000\"]   # E0011: 6,001 parts",
    ),
    text(
        "E0012",
        "条目过多",
        "too many items",
        "一个策略文件最多 10000 个顶层条目（记录、规则、示例、`use`、`const`），见 docs/limits.md。\
请把策略拆成几个文件，用 `use` 引用。",
        "One policy file holds at most 10,000 top-level items (records, rules, examples, `use`, \
`const`); see docs/limits.md. Split the policy into files joined with `use`.",
        "rule r1 \"…\" { … }\n…\nrule r10001 \"…\" { … }   # E0012 at the 10,001st item",
    ),
    text(
        "E0013",
        "策略文件不是 UTF-8",
        "policy file not UTF-8",
        "策略文件必须是 UTF-8 编码。诊断指出第一个不是 UTF-8 的字节所在的行和列，并猜测文件的\
实际编码（GBK/GB18030、UTF-16）。请用编辑器把文件另存为 UTF-8；guiju 不会猜测着读取其他编码。",
        "A policy file must be UTF-8. The diagnostic gives the line and column of the first byte that \
is not UTF-8 and guesses what the file is (GBK/GB18030, UTF-16). Save the file as UTF-8; guiju does \
not read a policy in a guessed encoding.",
        "$ guiju test gbk.gj\n[E0013] the policy file is not UTF-8 (it looks like GBK/GB18030): byte 0xCF at line 1, column 11 is invalid",
    ),
    policy(
        "E0014",
        "字符串没有结束",
        "unclosed string",
        "字符串必须在开始的那一行内以 `\"` 结束。诊断指向字符串开始的引号，而不是解析器\
最终放弃的地方。字符串中的引号写作 `\\\"`。",
        "A string must end with `\"` on the line it starts on. The diagnostic points at the quote \
that opens the string, not where the parser gave up. Write a quote inside a string as `\\\"`.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元
  applies to fund
  require amount <= 500 万元
}"#,
    ),
    policy(
        "E0015",
        "数字无法精确读取",
        "number not exact",
        "策略中的数字按书写精确读取，从不取舍。不接受科学记数法（`2.5e2`），诊断给出写全的数字\
（`250`）；也不接受超过小数所能精确表示的位数（28 至 29 位有效数字）的数字。",
        "A policy's numbers are read exactly as written and never rounded. An exponent (`2.5e2`) is \
refused, and the diagnostic gives the number written out (`250`); so is a number with more digits \
than a decimal holds exactly (28 to 29 significant digits).",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require amount <= 5e2 万元
}"#,
    ),
    policy(
        "E0016",
        "消息中的占位符没有结束",
        "unclosed placeholder",
        "消息中的 `{名称}` 显示字段或 `let` 的值；一个 `{` 之后没有 `}` 时，诊断指向这个 `{`。\
要写出花括号本身，写作 `\\{`。",
        "In a message, `{name}` shows the value of a field or a `let`; a `{` with no `}` after it is \
reported at the brace. Write `\\{` for a brace itself.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require amount <= 500 万元
  message "金额 {amount 超过上限"
}"#,
    ),
    // ------------------------------------------------------------ E01: names
    policy(
        "E0101",
        "未定义的名称",
        "unknown name",
        "表达式中用到的名称既不是规则所适用记录的字段，也不是 `let` 或 `const` 定义的名称。\
字段名区分大小写；中文标签（如 \"家庭人口\"）只用于数据表头，表达式中应写字段名。\
诊断会给出最接近的已知名称。",
        "A name in an expression is neither a field of the record the rule applies to, nor a name \
defined by `let` or `const`. Field names are case-sensitive; a field's label (such as \"家庭人口\") \
maps data headers only, and expressions use the field's name. The diagnostic suggests the closest \
known name.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require amout <= 500 万元     # E0101: did you mean `amount`?
}"#,
    ),
    policy(
        "E0102",
        "未知的记录类型",
        "unknown record type",
        "`applies to`、`grouped by`、示例中的记录或 `list of` 引用了策略（及其 `use` 的策略）\
中没有定义的记录类型。检查拼写，或用 `record` 定义它。",
        "`applies to`, a record in an example, or `list of` names a record type that neither this \
policy nor any policy it `use`s defines. Check the spelling, or define it with `record`.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fnd                  # E0102: did you mean `fund`?
  require amount <= 500 万元
}"#,
    ),
    policy(
        "E0103",
        "示例期望了未定义的规则",
        "example expects an undefined rule",
        "示例中的 `expect RULE OUTCOME` 引用的规则不存在。示例用来证明规则读对了原文，\
所以它期望的每条规则都必须定义。检查规则名的拼写。",
        "An `expect RULE OUTCOME` line of an example names a rule that does not exist. Examples \
prove that rules read the text correctly, so every rule they expect must be defined. Check the \
rule's name.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require amount <= 500 万元
}

example "600万元超限" {
  fund { id: "F1", amount: 600 万元 }
  expect capp fail                # E0103: the rule is `cap`
}"#,
    ),
    policy(
        "E0104",
        "重复定义",
        "defined twice",
        "同一个名称定义了两次：记录类型、记录中的字段、规则、常量，或规则中的 `let`。\
名称在其作用域内必须唯一：一个策略文件看得见它自己的定义和它 `use` 的文件的定义；\
同一次检查的两个互不引用的策略可以用相同的名称。同一次检查的策略文件也不能用相同的 `policy` 标识，\
因为规则的完整标识是 `策略::规则`。诊断同时指出首次定义的位置。改名或删除其中一个。",
        "A name is defined twice: a record type, a field of a record, a rule, a constant, or a \
`let` of a rule. Names must be unique where they are visible: a policy file sees its own \
definitions and those of the files it `use`s; two policies of one run that do not use each other \
may share names. Two policy files of one run may not share a `policy` id either, since a rule's \
full id is `policy::rule`. The diagnostic also shows the first definition. Rename or remove one \
of them.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  id     text                   # E0104: field `id` is defined twice
}"#,
    ),
    policy(
        "E0105",
        "不是枚举的取值",
        "not a variant of the enum",
        "与枚举字段比较或在示例中赋值时，写了该枚举没有的取值。可以写取值名（如 `poverty`）\
或其中文标签（如 \"脱贫攻坚\"）；诊断列出所有可选取值。",
        "A value compared with an enum field, or given to one in an example, is not one of the \
enum's variants. Write a variant's name (`poverty`) or its label (\"脱贫攻坚\"); the diagnostic \
lists the variants.",
        r#"policy demo "示例"

record fund "资金" {
  id      text key
  purpose enum { poverty "脱贫攻坚", other "其他" }
}

rule purpose_ok "资金用于脱贫攻坚" {
  cite line 1 "资金用于脱贫攻坚"
  applies to fund
  require purpose == povrty      # E0105: one of poverty, other
}"#,
    ),
    policy(
        "E0106",
        "未知函数或汇总",
        "unknown function or aggregate",
        "调用了不存在的函数，或对列表使用了不存在的汇总（如 `items.total(x)`）。\
可用的函数见 docs/language.md 的表达式一节，例如 `present`、`round`、`abs`、`min`、`max`、\
`month_end`、`working_days_between`；汇总有 `sum`、`count`、`avg`、`min`、`max` 等。",
        "A call names a function that does not exist, or a list uses an aggregate that does not \
exist (`items.total(x)`). The functions are listed in docs/language.md, Expressions: `present`, \
`round`, `abs`, `min`, `max`, `month_end`, `working_days_between` and others; the aggregates \
include `sum`, `count`, `avg`, `min` and `max`.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require roud(amount, 2) <= 500 万元    # E0106: did you mean `round`?
}"#,
    ),
    policy(
        "E0107",
        "单位有误",
        "bad unit",
        "单位未知，或者给非数值字段（文本、日期、布尔）写了单位。只有 `int` 和 `decimal` \
字段可以带单位；已知单位见 docs/language.md 的单位一节（m²、万元、亩、% 等）。",
        "The unit is unknown, or a field that is not a number (text, date, bool) has a unit. Only \
`int` and `decimal` fields take a unit; the known units are listed in docs/language.md, Units \
(m², 万元, 亩, %, …).",
        r#"policy demo "示例"

record fund "资金" {
  id     text key unit 元        # E0107: a text field cannot have a unit
}"#,
    ),
    // ------------------------------------------------------------ E02: types and units
    policy(
        "E0201",
        "类型不匹配",
        "type mismatch",
        "运算或比较的两边类型不相容：文本与数值比较、日期加减小时、对文本求和、`if` 两个分支\
类型不同、对非列表使用 `.sum(…)`、示例中给字段写了错误类型的值、把日数与月、年或工作日比较或\
相除（月、年、工作日没有固定的日数）等。诊断说明两边各是什么类型。把其中一边改成相应类型的值或\
字段；以月、年、工作日计的期限写在日期上（`closed_on <= received_on + 1个月`）。",
        "The two sides of an operation or comparison have types that do not go together: text \
compared with a number, hours added to a date, text summed, the two branches of an `if` of \
different types, `.sum(…)` on something that is not a list, a value of the wrong type for a field \
in an example, a number of days compared with or divided by months, years or working days \
(which are no fixed number of days). The diagnostic names both types. Change one side to a value \
or field of the right type; write a period of months, years or working days on the date \
(`closed_on <= received_on + 1 month`).",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  county text
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require county <= 500 万元     # E0201: cannot compare text with money
}"#,
    ),
    policy(
        "E0202",
        "单位不相容",
        "incompatible units",
        "比较或加减的两个量量纲不同，例如面积（m²）与金额（万元）、亩与平方米（1 亩 = 2000/3 m² \
不是有限小数，故不自动换算）。同一量纲的单位（元、万元、亿元）会精确换算，不会报错。\
检查是否用错了字段或单位。",
        "Two quantities compared, added or subtracted have different dimensions: an area (m²) \
and money (万元), or 亩 and m² (1 亩 = 2000/3 m² is not a finite decimal, so they are kept apart). \
Units of one dimension (元, 万元, 亿元) convert exactly and never raise this. Check that the right \
field and unit are used.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require amount <= 500 m²       # E0202: money cannot be compared with an area
}"#,
    ),
    policy(
        "E0203",
        "不带单位的数",
        "bare number against a quantity",
        "带单位的量与不带单位的数比较或相加。guiju 不猜单位：`floor_area <= 25` 中的 25 \
可能是平方米也可能是万平方米。给数写上单位，如 `25 m²`、`25平方米`。",
        "A quantity with a unit is compared with, or added to, a bare number. guiju does not guess \
units: in `floor_area <= 25` the 25 could be m² or 万平方米. Write the unit: `25 m²`, `25平方米`.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require amount <= 500          # E0203: write 500 万元
}"#,
    ),
    policy(
        "E0204",
        "此处需要条件",
        "condition expected",
        "`require`、`unless`、`where` 以及 `if` 的条件必须是真假值（比较、`present(…)`、布尔字段、\
`and`/`or`/`not` 的组合），这里却是数值、文本或日期。通常是漏写了比较，如 `require amount` \
应为 `require amount <= 500 万元`。",
        "`require`, `unless`, `where` and the condition of `if` take a truth value (a comparison, \
`present(…)`, a bool field, or `and`/`or`/`not` of these), but this is a number, text or date. \
Usually a comparison is missing: `require amount` should be `require amount <= 500 万元`.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require amount                 # E0204: money is not a condition
}"#,
    ),
    policy(
        "E0205",
        "参数有误",
        "wrong arguments",
        "函数或汇总的参数个数不对，或者给不接受筛选条件的函数写了 `where`。例如 `abs` 只接受一个\
参数，`round(x, 2)` 需要两个。参数表见 docs/language.md。",
        "A function or aggregate is given the wrong number of arguments, or a `where` it does not \
take. For example `abs` takes one argument and `round(x, 2)` two. See docs/language.md for each \
function's arguments.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"
  applies to fund
  require abs(amount, 2) <= 500 万元     # E0205: abs takes one argument
}"#,
    ),
    policy(
        "E0206",
        "汇总用错了位置",
        "aggregate out of place",
        "`sum`、`count` 等汇总计算一组记录，只能用于分组规则（`applies to R grouped by F` 或 \
`applies to all R`），而此规则逐条检查记录；或者汇总套在另一个汇总里。若要对一条记录中的列表\
求和，用 `items.sum(amount)`。",
        "Aggregates such as `sum` and `count` work over a group of records, so they belong in a \
grouped rule (`applies to R grouped by F` or `applies to all R`), but this rule checks one record \
at a time; or an aggregate is nested inside another. To total a list inside one record, write \
`items.sum(amount)`.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule total "资金总额不超过1亿元" {
  cite line 1 "资金总额不超过1亿元"
  applies to fund                # per record: sum() needs `grouped by` or `all`
  require sum(amount) <= 1 亿元   # E0206
}"#,
    ),
    policy(
        "E0207",
        "分组规则中的字段须在汇总之内",
        "field outside an aggregate in a grouped rule",
        "分组规则对每组只求值一次，一组有多条记录，单独写字段名不知道取哪一条。把字段放进汇总\
（`sum(amount)`、`max(amount)`、`count(where …)`），或者只使用分组键。",
        "A grouped rule is evaluated once per group, and a group holds several records, so a bare \
field does not say which record's value to take. Put the field inside an aggregate (`sum(amount)`, \
`max(amount)`, `count(where …)`), or use only the group's key.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  county text
  amount decimal unit 万元
}

rule county_total "每县资金不超过1亿元" {
  cite line 1 "每县资金不超过1亿元"
  applies to fund grouped by county
  require amount <= 1 亿元        # E0207: write sum(amount)
}"#,
    ),
    policy(
        "E0208",
        "常量无法直接算出",
        "constant cannot be computed",
        "`const` 的值，以及示例中写成表达式的值，必须不依赖任何记录就能算出：字面值（带单位的数、日期、\
期间、文本、是否）、取负、算术运算、日期加减期间（按策略的日历与期间规则计算），以及其他常量。\
引用了字段、写了函数调用或比较、或运算无法得出结果（除以零、超出范围）时报此错，并说明是哪一种。",
        "The value of a `const`, and a value written as an expression in an example, must be \
computable without any record: a literal (a number with its unit, a date, a period, text, a flag), \
a negation, arithmetic, a date plus or minus a period (counted with the policy's calendar and \
period rules), other constants. This is reported, with which of these went wrong, when it refers \
to a record, is a call or a comparison, or cannot be computed (a division by zero, a value out of \
range).",
        r#"policy demo "示例"

const cap = 500 万元 / 0          # E0208: division by zero"#,
    ),
    // ------------------------------------------------------------ E03: files a policy names
    policy(
        "E0301",
        "`use` 形成循环",
        "`use` cycle",
        "策略之间的 `use` 形成了环：A 引用 B，B 又（直接或间接）引用 A。诊断列出整个环。\
把共同的记录定义移到一个单独的文件，由双方引用。",
        "The policies `use` each other in a cycle: A uses B and B, directly or not, uses A. The \
diagnostic shows the whole cycle. Move the shared records into a file of their own that both use.",
        r#"policy demo "示例"
use "example.gj"                  # E0301: this file is example.gj itself"#,
    ),
    policy(
        "E0302",
        "无法读取被引用的策略",
        "cannot read a used policy",
        "`use \"…\"` 指向的文件无法读取：路径错误、文件不存在或没有权限。路径相对于写 `use` 的\
文件所在目录。",
        "The file named by `use \"…\"` cannot be read: a wrong path, a missing file, or no \
permission. The path is relative to the folder of the file that says `use`.",
        r#"policy demo "示例"
use "common/records.gj"           # E0302 when that file does not exist"#,
    ),
    policy(
        "E0303",
        "日历有误",
        "bad calendar",
        "`calendar \"…\"` 指定的工作日日历无法读取，或其中某行格式有误（诊断给出行号）。\
内置日历为 `cn-national`；自定义日历的格式见 docs/calendar.md。",
        "The working-day calendar named by `calendar \"…\"` cannot be read, or one of its lines is \
malformed (the diagnostic gives the line). The built-in calendar is `cn-national`; docs/calendar.md \
describes the format of a calendar file.",
        r#"policy demo "示例"
  calendar "local-holidays.cal"   # E0303 when the file is missing or malformed"#,
    ),
    policy(
        "E0304",
        "未知的月末规则",
        "unknown month rule",
        "`month_rule` 只能是 `\"last_day\"` 或 `\"next_day\"`。`last_day`（默认）按《民法典》第二百零二条：\
按月、年计算的期间，到期月的对应日为期间的最后一日，没有对应日的为该月最后一日；\
`next_day` 则在没有对应日时顺延到次月第一日。",
        "`month_rule` is either `\"last_day\"` or `\"next_day\"`. `last_day` (the default) follows \
article 202 of the Civil Code: a period of months or years ends on the corresponding day of the \
last month, or on that month's last day when it has no such day; `next_day` moves such an end to \
the first day of the next month.",
        r#"policy demo "示例"
  month_rule "end_of_month"       # E0304: last_day or next_day"#,
    ),
    text(
        "E0305",
        "引用的文件在策略目录树之外",
        "named file outside the policy's tree",
        "`use \"…\"` 和 `calendar \"…\"` 只能以相对路径引用策略所在目录树内的策略文件（.gj）\
或日历文件（.cal）。绝对路径、经由 `..` 或符号链接离开该目录树的路径、其他类型的文件都被拒绝，\
文件不会被读取，其内容也不会出现在任何诊断或报告中：提交来的策略不能读取运行环境中的其他文件。\
若确需引用另一目录中的共用策略，用 `--allow-path 目录` 允许该目录。",
        "`use \"…\"` and `calendar \"…\"` name, by a relative path, a policy (.gj) or calendar \
(.cal) file inside the directory tree of the policies on the command line. An absolute path, a \
path that leaves the tree through `..` or a symbolic link, and any other kind of file are refused: \
the file is not read, and nothing of it appears in a diagnostic or report, so a policy in a pull \
request cannot read other files of the machine it runs on. To share policies from another folder, \
allow it with `--allow-path DIR`.",
        "use \"/proc/self/environ\"\n[E0305] Error: cannot read used policy `/proc/self/environ`: an absolute path; a policy names files relative to itself, inside its own directory tree",
    ),
    text(
        "E0306",
        "引用的文件不是普通文件或过大",
        "named file not a regular file, or too large",
        "`use` 或 `calendar` 引用的文件是目录、设备、命名管道等而不是普通文件，或者超过大小上限\
（策略和日历文件均为 4 MiB，见 docs/limits.md）。读取之前即检查，不会读取其中任何内容。",
        "The file named by `use` or `calendar` is a directory, a device, a named pipe or the like \
rather than a regular file, or it is larger than the limit (4 MiB for policies and calendars; \
docs/limits.md). This is checked before anything of it is read.",
        "use \"shared/huge.gj\"\n[E0306] Error: cannot read used policy `shared/huge.gj`: it is larger than the limit of 4 MiB",
    ),
    // ------------------------------------------------------------ E04: rule structure
    policy(
        "E0401",
        "规则不完整",
        "incomplete rule",
        "每条规则都必须有 `applies to`（检查哪类记录）和至少一条 `require`（要求什么）。\
缺少任何一项，规则就无法求值。",
        "Every rule needs `applies to` (which records it checks) and at least one `require` (what \
must hold). Without either, the rule cannot be evaluated.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {     # E0401: no `applies to`
  cite line 1 "单个项目不超过500万元"
  require amount <= 500 万元
}"#,
    ),
    policy(
        "E0209",
        "必填字段不能有默认值",
        "a default on a required field",
        "`default` 只能用于可选（`optional`）字段：它说明空单元格或缺少的键代表什么值。\
必填字段缺失是要报告的问题（结果为“未知”，并指出字段），不能代为填写。默认值须是字段类型的常量\
（`default false`、`default 0 元`、`default new_build`），否则为 E0201。",
        "`default` belongs on an optional field only: it says what a blank cell or an absent key stands \
for. A missing required value is a problem to report (the outcome is unknown, naming the field), \
not one to fill in. The default must be a constant of the field's type (`default false`, \
`default 0 元`, `default new_build`), else E0201.",
        r#"policy demo "示例"

record household "搬迁户" {
  id         text key
  registered bool default true     # E0209: make it `optional default true`, or drop the default
}"#,
    ),
    policy(
        "E0210",
        "被关联的记录类型没有主键",
        "a ref to a record type without a key",
        "`ref T` 字段填写的是另一类记录 `T` 的主键，规则经由它读取那条记录（`site.mode`），\
`T` 的规则也经由它汇总指向自己的记录（`household.count()`）。因此 `T` 必须有一个标为 `key` \
的字段；`ref` 字段的类型就是这个主键的类型。",
        "A `ref T` field holds the key of a record of type `T`: rules read that record through it \
(`site.mode`), and rules on `T` aggregate the records that refer to it (`household.count()`). So \
`T` needs a field marked `key`; the `ref` field has that key's type.",
        r#"policy demo "示例"

record site "安置点" {
  name text "安置点名称"
}

record household "搬迁户" {
  id   text key
  site ref site                    # E0210: mark the field that names a site `key`
}"#,
    ),
    policy(
        "E0211",
        "关联汇总用错了地方",
        "a joined aggregate out of place",
        "`household.count()`、`household.sum(subsidy where …)` 写在对某类记录逐条检查的规则中，\
对被检查的每条记录，汇总另一类记录里经由 `ref` 字段指向它的那些。这要求：那一类记录恰有一个\
`ref` 字段指向被检查的类型（没有或不止一个时无法确定按哪个汇总）；汇总不在分组规则、\
其他汇总或列表汇总之内。",
        "`household.count()`, `household.sum(subsidy where …)` in a rule that checks each record of \
a type aggregates, for each record checked, the records of the other type that refer to it through \
their `ref` field. That type must have exactly one `ref` field to the type checked (with none or \
two, which one to aggregate by is not clear), and the aggregate cannot stand in a grouped rule, \
another aggregate or a list aggregate.",
        r#"policy demo "示例"

record site "安置点" {
  id         text key
  households int unit 户 "安置户数"
}

record household "搬迁户" {
  id   text key
  site text "安置点"                 # not `ref site`
}

rule site_counts "安置户数与台账一致" {
  cite line 1 "安置户数与台账一致"
  applies to site
  require households == household.count()    # E0211: household has no ref to site
}"#,
    ),
    // ------------------------------------------------------------ W: policy warnings
    policy(
        "W0101",
        "规则没有引用依据",
        "rule cites nothing",
        "规则没有 `cite`。每条规则都应指明它编码的是原文的哪一处（文号、行号、条款和原话），\
这样每个检查结果都能追溯到依据。这是警告，规则照常运行。",
        "The rule has no `cite`. Every rule should say which words of the source document it \
encodes (document, line, article and the quoted words), so that every finding can be traced to \
its authority. This is a warning; the rule still runs.",
        r#"policy demo "示例"

record fund "资金" {
  id     text key
  amount decimal unit 万元
}

rule cap "单个项目不超过500万元" {     # W0101: add cite line N "…"
  applies to fund
  require amount <= 500 万元
}"#,
    ),
    policy(
        "W0102",
        "引文的原话不在所引的行",
        "a quote is not on the lines it cites",
        "规则 `cite line N \"原话\"` 引用的原话不在 `source` 文件的第 N 行（`cite line N-M` 时为第 N 至 M 行连起来读）。\
原话须照原文抄写，标点、空格一致；如果这段话在原文别处，帮助信息给出它所在的行。`guiju check` 中是警告；\
在 `guiju test` 中是错误，策略的测试不通过。",
        "The words a rule quotes with `cite line N \"…\"` do not stand on line N of the `source` file (on \
lines N to M read as one run, for `cite line N-M`). Quotes must be copied as the document writes them, \
punctuation and spaces too; when the words stand elsewhere in the document, the help gives the line. \
A warning in `guiju check`; an error in `guiju test`, where the policy fails its test.",
        r#"policy demo "示例"
  document "三政办〔2017〕28号"
  source "example.gj"

record fund "资金" {
  id text key
}

rule cap "单个项目不超过500万元" {
  cite line 1 "单个项目不超过500万元"     # W0102: line 1 is `policy demo "示例"`
  applies to fund
  require present(id)
}"#,
    ),
    text(
        "W0103",
        "无法读取 `source` 原文",
        "the `source` document cannot be read",
        "策略头部 `source` 指定的原文文件不存在、不可读、不在策略所在目录树内或超过 16 MiB，\
所以引文的原话未能核对。`guiju check` 中是警告；在 `guiju test` 中是错误。原文只用于核对引文，\
从不出现在任何报告中。",
        "The document named by the header's `source` does not exist, cannot be read, lies outside the \
policy's directory tree, or is larger than 16 MiB, so the citations' words were not checked. A \
warning in `guiju check`; an error in `guiju test`. The document is read only to check quotes, \
and never appears in any report.",
        "$ guiju check policy.gj --data households.csv --lang en\n[W0103] Warning: cannot read the `source` file `seeds/004.txt`: No such file or directory (os error 2); the words of 12 citation(s) were not checked",
    ),
    text(
        "W0104",
        "引用行号却没有 `source`",
        "lines cited with no `source`",
        "策略的规则用 `cite line N` 引用原文的行，但策略头部没有 `source`，这些引文无法核对。\
在头部写 `source \"原文.txt\"`，指向策略所编码文件的原文。只由 `guiju test` 报告。",
        "The policy's rules cite lines of the document with `cite line N`, but the header names no \
`source`, so those quotes cannot be checked. Write `source \"document.txt\"` in the header, naming \
the document's text. Reported by `guiju test` only.",
        "$ guiju test policy.gj --lang en\n[W0104] Warning: policy `demo` has 3 rule(s) citing lines but names no `source`: their quotes cannot be checked",
    ),
    text(
        "W0105",
        "策略没有示例",
        "a policy with no example",
        "策略没有 `example`，它的规则都未经测试：没有记录证明规则读对了原文。\
为每条规则写出通过和违反的记录（`expect 规则 pass` / `fail`）。只由 `guiju test` 报告。",
        "The policy has no `example`, so none of its rules is tested: no record shows that a rule reads \
the text right. Write a passing and a failing record for each rule (`expect RULE pass` / `fail`). \
Reported by `guiju test` only.",
        "$ guiju test policy.gj --lang en\n[W0105] Warning: policy `demo` has no example: none of its rules is tested",
    ),
    text(
        "W0106",
        "`where` 读取可选字段而未说明为空时的含义",
        "an optional field in `where` with nothing said about a blank",
        "规则的 `where` 读取一个可选字段，却没有 `present(字段)`，字段也没有 `default`。\
该字段为空的每条记录，`where` 都无法判断，规则结果一律为“未知”——一列多数单位留空的可选字段，\
会让整份台账的这条规则都无法判断。由原文决定空值的含义：给字段加上默认值\
（`co_relocated bool optional default false`），或在 `where` 中写明 `present(字段)`。\
日期字段除外：为空的可选日期表示该行为尚未发生，另有含义。只由 `guiju test` 报告。",
        "A rule's `where` reads an optional field with no `present(field)` in it, and the field has no \
`default`. For every record where the field is blank the `where` cannot be decided, so the outcome \
is unknown: an optional column most offices leave empty makes the rule unknown for a whole \
register. Say what a blank means, as the document does: a default on the field \
(`co_relocated bool optional default false`), or `present(field)` in the `where`. Dates are left \
out: a blank optional date is an act not yet done, a meaning of its own. Reported by `guiju test` \
only.",
        "$ guiju test policy.gj --lang en\n[W0106] Warning: rule `shared_unit_report` reads the optional field `shared_unit` in its `where` without saying what a blank means: for every record where it is blank, the outcome is unknown",
    ),
    // ------------------------------------------------------------ I: input data
    text(
        "I0001",
        "无法读取数据文件",
        "cannot read a data file",
        "数据文件无法打开或读取（路径错误、权限、磁盘错误），或者无法从扩展名判断格式。\
支持的扩展名：.csv/.tsv/.txt、.json、.jsonl/.ndjson、.xlsx/.xlsm/.xls/.xlsb/.ods。该文件的检查\
停止，退出码为 2。",
        "A data file cannot be opened or read (a wrong path, permissions, a disk error), or its \
format cannot be told from its extension. Known extensions: .csv/.tsv/.txt, .json, .jsonl/.ndjson, \
.xlsx/.xlsm/.xls/.xlsb/.ods. Checking that file stops, and the exit code is 2.",
        "$ guiju check policy.gj --data households.dat\nerror[I0001]: households.dat: cannot tell the file's format from its extension",
    ),
    text(
        "I0002",
        "文本编码有误",
        "bad text encoding",
        "数据文件的编码无法确定，或文件并非所用的编码。每个 CSV/JSON 文件的编码按以下顺序确定：\
文件名后写明的（`--data 台账.csv:gbk`），`--encoding`，字节顺序标记，最后按文件开头 64 KiB 自动识别\
（UTF-8、UTF-16、GBK/GB18030、Big5）。识别不出（例如像日文、韩文编码）时不读取该文件；\
文件中途出现不符合该编码的字节时，在该行停止读取，此前的记录照常检查。在文件名后写明编码，或把文件另存为 UTF-8。",
        "A data file's encoding cannot be told, or the file is not in the encoding used after all. \
Each CSV/JSON file's encoding is, in this order: the one named after its name \
(`--data ledger.csv:gbk`), `--encoding`, its byte order mark, or the one its first 64 KiB look \
like (UTF-8, UTF-16, GBK/GB18030, Big5). A file that looks like none of them (Japanese or Korean \
encodings, say) is not read; a file with bytes that are not in its encoding stops at their line, \
and the records before it are checked. Name the encoding after the file name, or save the file \
as UTF-8.",
        "$ guiju check policy.gj --data households.csv\nerror[I0002]: households.csv: cannot tell the file's encoding: it is neither UTF-8 nor UTF-16, nor does it look like GBK/GB18030\n  help: it looks like Shift_JIS; name its encoding after the file name, as in `--data ledger.csv:gbk` (utf-8, gbk, gb18030, utf-16le, utf-16be, big5), or save it as UTF-8\n$ guiju check policy.gj --data households.csv:gbk",
    ),
    text(
        "I0003",
        "记录格式有误",
        "malformed record",
        "一条记录无法解析：CSV 的引号或列数有误、JSON 语法错误、JSON 记录不是对象，或者 Excel \
工作表无法读取。诊断给出行和列。单条记录出错时该记录计为“无法读取”，其余记录照常检查；\
整个文件无法解析时该文件停止检查。",
        "A record cannot be parsed: a CSV quote or column count is wrong, JSON is malformed, a JSON \
record is not an object, or an Excel sheet cannot be read. The diagnostic gives the line and \
column. A bad record is counted as unreadable and the other records are still checked; a file \
that cannot be parsed at all stops.",
        "households.jsonl:\n  {\"户编号\": \"H1\", \"家庭人口\": 4,}\n[I0003] Warning: malformed JSON: trailing comma at line 1 column 27",
    ),
    text(
        "I0004",
        "未知的记录类型",
        "unknown record type in data",
        "无法确定数据文件或其中某条记录属于策略中的哪种记录类型：`--data TYPE=FILE` 中的 TYPE \
不存在，JSON 记录的类型键不是已定义的记录类型，或者策略有多种记录类型而文件没有指明；\
也可能是同一次检查的几个策略都有这个类型名，须写成 `策略::类型`。\
用 `--data household=households.csv` 指明类型。",
        "guiju cannot tell which record type of the policy a data file, or a record in it, holds: \
the TYPE of `--data TYPE=FILE` is not defined, a JSON record's type key is not a record type, or \
the policy has several record types and the file does not say which; or several policies of the \
run declare a type of that name, and it must be written `policy::type`. Name the type: \
`--data household=households.csv`.",
        "$ guiju check policy.gj --data househld=households.csv\n[I0004] Error: the policy has no record type `househld`",
    ),
    text(
        "I0006",
        "多余的列或键",
        "unknown column or key",
        "数据中的列（CSV、Excel 表头）或键（JSON）既不是记录的字段名，也不是字段的中文标签，\
已被忽略。这是警告；若该列本应对应某个字段，请检查表头与策略中的标签是否一致。",
        "A column (CSV or Excel header) or key (JSON) of the data is neither a field's name nor its \
label, and is ignored. This is a warning; if the column should map onto a field, check that the \
header matches the field's label in the policy.",
        "households.csv:\n  户编号,家庭人口,住房面积,备注\n[I0006] Warning: column `备注` is not a field of `household`; ignored",
    ),
    text(
        "I0007",
        "缺少必填字段的列",
        "missing column for a required field",
        "表头（CSV 或工作表）中没有某个非 `optional` 字段的列。每条记录都会缺少它，该文件（或工作簿）\
因此不读取，退出码为 2：缺少的值不会当作零或假，也不会让整份提交看起来没有违规。帮助中列出表头里\
未识别的列（可能是写错了的标签）。补上该列，或者在策略中把字段标为 `optional`。",
        "The header (of a CSV or a sheet) has no column for a field that is not `optional`. Every \
record would lack it, so the file (or workbook) is not read, and the exit code is 2: a missing \
value is never taken as zero or false, nor lets a submission look clean. The help lists the \
header's cells that name no field (perhaps the label misspelt). Add the column, or mark the field \
`optional` in the policy.",
        "households.csv:\n  户编号,住房建筑面积\n[I0007] Error: no column for the required field(s) 家庭人口; the file is not read",
    ),
    text(
        "I0020",
        "表头中同一字段有两列",
        "two columns for one field",
        "CSV 表头中有两列对应同一个字段：同一列名出现两次，或者字段名和它的中文标签各占一列。\
无法确定哪一列才是该字段，因此该文件不读取，退出码为 2。删去或改名其中一列。",
        "The CSV header has two columns for one field: the same name twice, or a field's name and \
its label each in a column. Which column holds the field cannot be told, so the file is not read \
and the exit code is 2. Remove or rename one of the columns.",
        "households.csv:\n  户编号,家庭人口,id,住房建筑面积\n[I0020] Error: columns 1 (`户编号`) and 3 (`id`) of the header are the same field `户编号`",
    ),
    text(
        "I0021",
        "记录中同一字段给了两次",
        "a field given twice in a record",
        "JSON 记录中同一个键出现两次，或者字段名和它的中文标签都作为键出现。无法确定应取哪个值，\
该记录计为“无法读取”，其余记录照常检查。",
        "A JSON record has the same key twice, or both a field's name and its label as keys. Which \
value is meant cannot be told: the record is counted as unreadable, and the other records are \
still checked.",
        "households.jsonl:\n  {\"户编号\":\"H1\",\"家庭人口\":4,\"户编号\":\"H2\"}\n[I0021] Warning: the key `户编号` appears twice in this record",
    ),
    text(
        "I0022",
        "一行的单元格数与表头不符",
        "a row with more or fewer cells than the header",
        "CSV 的一行比表头少了某个字段列的单元格，或者在表头各列之后还有非空的单元格（常因少写或多写\
逗号、含逗号的单元格未加引号）。这样的行不读取，计为“无法读取”，以免值错位到别的字段。\
表头之后多出的空单元格（如行尾多一个逗号）不算错。全为空（`,,,,`）或只有空白的行不是记录，\
计为“已跳过”。",
        "A CSV row lacks the cell of a field column, or has a cell that is not empty beyond the \
header's columns (a comma missing or extra, a cell with a comma not quoted). The row is not read \
and is counted as unreadable, so that no value shifts into another field. Empty cells beyond the \
header (a trailing comma) are not a problem. A row of empty cells (`,,,,`) or of white space is no \
record: it is counted as skipped.",
        "households.csv:5:\n  H2,4,101\n[I0022] Warning: this row has 3 cells, the header 4 columns; the row is not read",
    ),
    text(
        "I0023",
        "超过长度上限",
        "over a size limit",
        "一条记录（CSV 的一行、JSON Lines 的一行、JSON 文档中的一条记录）超过 16 MiB 时，文件停止\
读取，退出码为 2；一个单元格超过 1 MiB 时，该值计为无法读取，用到它的规则为“未知”。\
表头超过 16,384 列（Excel 的上限）时，文件不读取。这些上限使 `/dev/zero` 或一个 2 GB 的行不会耗尽内存。见 docs/limits.md。",
        "A record (a CSV row, a JSON Lines line, one record of a JSON document) longer than 16 MiB \
stops reading its file, with exit code 2; a cell longer than 1 MiB is an unreadable value, and \
rules that need it are unknown. A header of more than 16,384 columns (Excel's limit) is not \
read. The limits keep `/dev/zero` or a 2 GB line from exhausting \
memory. See docs/limits.md.",
        "$ guiju check policy.gj --data household=/dev/zero.csv\n[I0023] Error: a record longer than the limit of 16 MiB; reading the file stops",
    ),
    text(
        "I0024",
        "百分比列像是小数",
        "a percent column that looks like fractions",
        "工作簿中一个以 % 为单位的字段，其列中的数字单元格都不大于 1。数字按百分数读取（0.6 即 \
0.6%），这是警告而非错误：若单元格设为百分比格式（显示 60%），Excel 实际存的是 0.6，应把单元格\
写成文本 `60%`、去掉百分比格式后填 60，或在表头写明单位。",
        "In a workbook, every number cell of a column whose field is in % is at most 1. The numbers \
are read as percents (0.6 is 0.6%); this is a warning, not an error: a cell formatted as a \
percentage (showing 60%) holds 0.6, so write the cell as the text `60%`, or type 60 in a cell \
without the percentage format.",
        "$ guiju check policy.gj --data fund=资金.xlsx\n[I0024] Warning: every number in the percent column `自筹比例` of sheet `资金` is at most 1; they were read as percents (0.6 is 0.6%)",
    ),
    text(
        "I0025",
        "找不到表头",
        "no header",
        "工作簿中没有一张工作表（或 `文件.xlsx#工作表` 指定的那张）、或 CSV 文件中没有一行，在前 30 \
行中写着记录的字段名或标签（`--header-row N` 指定的那一行也不是）。表头可以在标题行、说明行和\
空行之下；可以带单位（`家庭人口（人）`）；两行合并的表头按 `上/下` 拼接（`补助资金/中央`）。\
文件不读取，退出码为 2：一个字段也认不出的文件，不能当作没有违规。",
        "No sheet of the workbook (or the one `file.xlsx#sheet` names), or no row of a CSV file, \
names the fields of a record type by name or label in its first 30 rows (nor does the row \
`--header-row N` names). A header may sit under title, note and blank rows; it may carry a unit \
(`家庭人口（人）`); a heading merged over two rows is joined as `top/bottom` (`补助资金/中央`). \
The file is not read, and the exit code is 2: a file of which no field can be told must not \
pass as clean.",
        "$ guiju check policy.gj --data fund=资金.xlsx#没有\n[I0025] Error: the workbook has no sheet named `没有`",
    ),
    text(
        "I0026",
        "合计与各行之和不符",
        "a total that does not add up",
        "策略把字段标为 `total`（合计），表格中一行合计（合计、总计：表头以下各行；小计：上一合计行\
以下各行）的该列单元格不等于其上各行之和。两个数都在消息中，按精确小数相加。这是提交材料自相\
矛盾，与违反规则一样使退出码为 1。核对该列各行与合计。",
        "A field the policy marks `total` has, in a totals row (合计 or 总计: every row since the \
header; 小计: the rows since the previous totals row), a cell that is not the sum of the rows \
above it. Both figures are in the message; the sum is exact. The submission contradicts itself: \
like a failing rule, this makes the exit code 1. Check the column's rows and its total.",
        "$ guiju check policy.gj --data 台账.csv\n[I0026] Error: the totals row's `住房面积` is 250 m², but the 4 row(s) above it add up to 255 m²",
    ),
    text(
        "I0027",
        "合计无法核对",
        "a total that cannot be checked",
        "字段标为 `total`，但合计行无法核对：其上某行没有这个值（缺失或无法读取；缺失不按 0 计），\
或合计单元格本身不是数。这是警告：合计没有被证实，也没有被否定。合计行中空着的单元格不作核对。",
        "A field is marked `total`, but a totals row cannot be checked: a row above it lacks the \
value (missing or unreadable; missing is not taken for 0), or the totals cell is not a number. \
This is a warning: the total is neither confirmed nor refuted. An empty cell in a totals row is \
not checked.",
        "$ guiju check policy.gj --data 台账.csv\n[I0027] Warning: the totals row's `补助资金` cannot be checked: line 7 has no readable `补助资金` (missing is not taken for 0)",
    ),
    text(
        "I0028",
        "文件中没有记录",
        "a file with no record",
        "一个数据文件中一条记录也没有读到：只有表头、全是空行或合计行、JSON 的 `[]`、空文件。\
没有检查任何内容，退出码为 2：空白表不能当作没有违规的提交。",
        "Not one record was read from a data file: a header and nothing under it, only blank or \
totals rows, a JSON `[]`, an empty file. Nothing was checked, and the exit code is 2: a blank \
form must not pass as a clean submission.",
        "$ guiju check policy.gj --data 空白表.csv\n[I0028] Error: the file holds no record: nothing was checked",
    ),
    text(
        "I0029",
        "有默认值的字段整列缺失",
        "a defaulted field with no column",
        "策略为这个可选字段写了默认值（`default`），而表格（CSV 或工作表）中根本没有这一列，\
所以每条记录都按默认值读取。默认值只代替空单元格：整列缺失时文件什么也没说。这是警告；\
请确认表格确实不需要这一列，或补上这一列。",
        "The policy gives this optional field a `default`, and the spreadsheet (CSV or sheet) has no \
column for it at all, so every record reads the default. A default stands for a blank cell; with \
the column missing, the file says nothing. A warning: check that the form truly leaves the column \
out, or add it.",
        "$ guiju check policy.gj --data 台账.csv\n[I0029] Warning: no column for 同步搬迁户 (default false); every record reads the default",
    ),
    text(
        "I0030",
        "关联的记录不在提交的数据中",
        "a ref to a record the submission does not have",
        "这些记录的 `ref` 字段填写了另一类记录的主键（如搬迁户所填的安置点编号），而提交的数据中\
没有这条记录。按那一类记录汇总（`household.count()`）时，这些记录没有计入任何一条；经由它读取\
（`site.mode`）的规则结果为“未知”，并指出这个主键。这是警告：补报缺少的记录，或更正所填的主键。\
每个主键只报告一次，指向第一条填写它的记录。",
        "These records' `ref` field names the key of a record of another type (the site number a \
household gives) that the submission does not have. No total per record of that type \
(`household.count()`) counted them, and rules reading through the field (`site.mode`) are unknown, \
naming the key. A warning: add the missing record, or correct the key. Each key is said once, at \
the first record that names it.",
        "[I0030] Warning: 1 record(s) refer to the 安置点 `S9`, which is not in the submission; no total per 安置点 counted them",
    ),
    // ------------------------------------------------------------ U: command line
    text(
        "U0001",
        "`--as-of` 不是日期",
        "`--as-of` is not a date",
        "`--as-of` 的值无法识别为日期。使用 `YYYY-MM-DD`（如 2017-06-30）或 `2017年6月30日`。\
不写 `--as-of` 时以今天为准。",
        "The value of `--as-of` is not a date. Write `YYYY-MM-DD` (2017-06-30) or `2017年6月30日`. \
Without `--as-of`, deadlines are judged as of today.",
        "$ guiju check policy.gj --data households.csv --as-of 2017/13/01\nerror[U0001]: --as-of `2017/13/01` is not a date (YYYY-MM-DD)",
    ),
    text(
        "U0002",
        "无法读取策略文件",
        "cannot read a policy file",
        "命令行给出的策略文件不存在、不可读或不是 UTF-8 文本。检查路径。",
        "A policy file named on the command line does not exist, cannot be read, or is not UTF-8 \
text. Check the path.",
        "$ guiju check polcy.gj --data households.csv\nerror[U0002]: cannot read policy `polcy.gj`: No such file or directory",
    ),
    text(
        "U0003",
        "无法启动工作线程",
        "cannot start worker threads",
        "无法创建求值用的线程池，通常因为系统资源不足或 `--jobs` 的值不合理。\
减小 `--jobs`（如 `-j 1`）后重试。",
        "The thread pool for evaluation cannot be started, usually for lack of system resources or \
an unreasonable `--jobs`. Try again with fewer jobs (`-j 1`).",
        "$ guiju check policy.gj --data households.csv -j 100000\nerror[U0003]: cannot start worker threads: …",
    ),
    text(
        "U0004",
        "无法写入报告文件",
        "cannot write the report file",
        "`--output` 指定的文件无法创建（目录不存在、没有权限，或它是目录）。检查路径；报告不会写出，\
原有的同名文件保持原样。",
        "The file named by `--output` cannot be created (its folder does not exist, there is no \
permission, or it is a folder). Check the path; no report is written, and a file already there is \
left as it was.",
        "$ guiju check policy.gj --data households.csv --format sarif --output out/guiju.sarif\nerror[U0004]: cannot write `out/guiju.sarif`: No such file or directory",
    ),
    text(
        "U0005",
        "`--calendar` 日历有误",
        "bad `--calendar` file",
        "`--calendar` 指定的本地工作日日历无法读取，或其中某行格式有误（错误信息给出行和列）。\
日历文件的格式见 docs/calendar.md。",
        "The local working-day calendar named by `--calendar` cannot be read, or one of its lines \
is malformed (the message gives the line and column). docs/calendar.md describes the format.",
        "$ guiju check policy.gj --data data.json --calendar local.cal\nerror[U0005]: local.cal:3:12: … / 日历文件有误",
    ),
    text(
        "U0006",
        "文件不是普通文件或过大",
        "not a regular file, or too large",
        "命令行给出的策略文件或 `--calendar` 日历是目录、设备、命名管道等而不是普通文件，\
或超过 4 MiB 的大小上限（见 docs/limits.md）。读取之前即检查，因此 `/dev/zero` 之类不会被无休止地读取。",
        "A policy file on the command line, or the `--calendar` file, is a directory, a device, a \
named pipe or the like rather than a regular file, or it is larger than the 4 MiB limit \
(docs/limits.md). This is checked before reading, so `/dev/zero` and the like are not read for ever.",
        "$ guiju check policy.gj --data households.csv --calendar /dev/zero\nerror[U0006]: cannot read calendar `/dev/zero`: it is a device, not a regular file / 无法读取日历：它是设备文件，不是普通文件",
    ),
    text(
        "U0007",
        "`--jobs` 超过上限",
        "`--jobs` over the limit",
        "`--jobs` 的值超过 guiju 在本机使用的线程数上限（CPU 核数，至少 8）。检查照常进行，只用上限数目的线程；更多的线程只会等待，却会耗尽内存。见 docs/limits.md。",
        "The value of `--jobs` is more than the threads guiju uses on this machine (one per core, at least 8). The check goes on with that many threads: more would only wait, and would exhaust memory. See docs/limits.md.",
        "$ guiju check policy.gj --data households.csv -j 100000\nwarning[U0007]: --jobs 100000 is more than the 8 threads guiju uses here; using 8",
    ),
    text(
        "U0008",
        "报告未能完整写出",
        "the report could not be written whole",
        "写报告时出错（磁盘已满、管道被关闭等），报告不完整。退出码为 2，不论检查结果如何：\
不完整的报告不能当作检查通过。用 `--output` 时，报告先写到同一目录下的临时文件，完整写出后才替换原文件，\
所以出错时原有的报告保持原样，不会留下半个文件。",
        "Writing the report failed (a full disk, a closed pipe), so the report is not whole. The exit \
code is 2, whatever the verdicts: a report cut short must not pass for a clean check. With \
`--output`, the report is written to a temporary file in the same folder and put in place of the \
old one only when complete, so on such an error the previous report is left as it was and no half \
file remains. (Ctrl-C likewise leaves the previous report in place; the exit code is then 130.)",
        "$ guiju check policy.gj --data households.csv --format json > /dev/full\nerror[U0008]: standard output could not be written whole: No space left on device (os error 28)",
    ),
    text(
        "U0009",
        "输出文件是本次检查的输入",
        "`--output` names an input",
        "`--output` 指定的文件就是本次检查的数据文件、策略文件或 `--calendar` 日历（也包括指向它们的链接）。\
报告会覆盖提交的数据，因此不予执行，什么也不写。请另选输出文件。",
        "The file named by `--output` is one of the run's data files, policy files or its \
`--calendar` (or a link to one). The report would replace the submission, so nothing is run and \
nothing is written. Choose another file.",
        "$ guiju check policy.gj --data households.csv --output households.csv\nerror[U0009]: --output `households.csv` is an input of this run (`households.csv`): the report would replace it; choose another file",
    ),
    text(
        "U0020",
        "`guiju template` 无法确定记录类型",
        "`guiju template` cannot tell which record type",
        "`--type` 给出的记录类型在策略中不存在，或者策略声明了多种记录类型而命令没有用 `--type` 指定。\
错误信息列出策略中的记录类型（标识和中文名称都可以使用）。",
        "The record type given with `--type` is not declared by the policy, or the policy declares \
several record types and none was named with `--type`. The message lists the policy's record types \
(a name or a label may be given).",
        "$ guiju template policies/relocation-2016.gj --type 住户\nerror[U0020]: 策略中没有记录类型 `住户`；可选：household（搬迁户）, …",
    ),
    text(
        "U0021",
        "无法写出空白表",
        "cannot write the blank form",
        "`guiju template` 生成的表格无法写到 `--output` 指定的位置（目录不存在或没有权限）。\
表格先写到同一目录下的临时文件，完整写出后才改名，所以失败时不会留下半个文件。",
        "The form built by `guiju template` cannot be written where `--output` says (its folder does \
not exist, or there is no permission). The form is written to a temporary file in the same folder \
and renamed when complete, so a failure leaves no half-written file.",
        "$ guiju template policies/relocation-2016.gj --type household --output nope/台账.xlsx\nerror[U0021]: nope/台账.xlsx: cannot write the form / 无法写出表格：No such file or directory",
    ),
    // ------------------------------------------------------------ V: verdicts
    text(
        "V0000",
        "通过或不适用",
        "pass or not applicable",
        "规则在这条记录（或这一组）上通过，或不适用（`where` 不成立）。\
这类结果不作为检查发现报告，只计入汇总。某条 `unless` 例外成立而免于要求的，是“豁免”（V0004）。",
        "The rule passes on this record (or group), or does not apply to it (its `where` is false). \
Such verdicts are not reported as findings; they are counted in the summary. A record that an \
`unless` exception releases from the requirement is exempt (V0004).",
        "5 records (household 5), 0 unreadable; outcomes: 1 pass, 2 fail, 1 not applicable, 0 pending, 1 unknown",
    ),
    text(
        "V0001",
        "违反规则",
        "rule violated",
        "规则的某条 `require` 不成立，且没有 `unless` 例外成立。报告指出数据中的记录和决定结果的\
字段值、规则在策略中的位置、计算过程和原文依据。严重程度为 error 的违反使 `guiju check` \
以 1 退出；warning 和 info 的违反只报告。在 SARIF 和 GitHub 格式中按严重程度标为 \
error/warning/note(notice)。",
        "A `require` of the rule is false and no `unless` exception holds. The report shows the \
record and the field values that decided it, the rule in the policy, the computation and the \
citation. A failure of an error-severity rule makes `guiju check` exit 1; warnings and info are \
reported only. SARIF and GitHub annotations mark it error, warning or note (notice) by severity.",
        "$ guiju check policy.gj --data households.csv --lang en\n[V0001] Error: [per_capita_area] household H2: per-capita floor area 25.0025 m² exceeds 25 m²\n  floor_area 100.01 m² / members 4人 = 25.0025 m² > 25 m²\n  cites 三政办〔2017〕28号 L1388",
    ),
    text(
        "V0002",
        "无法判断",
        "cannot be decided",
        "规则需要的某个值缺失或无法读取（如空单元格、`abc` 写在数值列中），因此既不能判为通过\
也不能判为违反。缺失从不当作零或假。报告指出是哪个字段。补全数据后重新检查。\
它不影响退出码；在 SARIF 和 GitHub 格式中标为 warning（info 规则为 note），在 JUnit 中为 <error>。",
        "A value the rule needs is missing or unreadable (an empty cell, `abc` in a number column), \
so the rule can neither pass nor fail; missing is never zero or false. The report names the field. \
Complete the data and check again. It does not change the exit code; SARIF and GitHub mark it a \
warning (a note for info rules), JUnit an <error>.",
        "[V0002] Unknown: [per_capita_area] household H3: cannot be decided: the field `家庭人口` is missing",
    ),
    text(
        "V0003",
        "待定",
        "pending",
        "期限在 `--as-of` 之后尚未届满，而所要求的行为还没有发生（可选日期字段为空）。\
期限过后再检查，它将变为通过或违反。在 SARIF 中标为 note，GitHub 中为 notice，JUnit 中为 <skipped>。",
        "A deadline lies after `--as-of` and the required act has not happened yet (an optional \
date is empty). Checked after the deadline, it becomes a pass or a failure. SARIF marks it a note, \
GitHub a notice, JUnit <skipped>.",
        "$ guiju check policy.gj --data opinions.json --as-of 2024-07-10 --lang en\n[V0003] Pending: [report_within_90_days] opinion O3: pending: `reported_on` has not happened yet and the deadline 2024-10-08 has not passed",
    ),
    text(
        "V0004",
        "依例外豁免",
        "exempt by an exception",
        "规则的要求不满足（或无法判断、待定），但规则的某条 `unless` 例外成立，这条记录依例外免于要求。\
豁免不是违反，不影响退出码；但它作为提示级别的检查发现报告，写明所依据的例外和规则的原文依据，\
并在汇总中单独计数，使审核者看到哪些记录援引了例外。在 SARIF 中标为 note，GitHub 中为 notice，\
JUnit 中为通过的测试用例（说明写在 <system-out> 中）。示例中写 `expect 规则 exempt`。",
        "A requirement of the rule does not hold (or cannot be decided, or is pending), but one of \
its `unless` exceptions does, so the record is released from the requirement. An exemption is not \
a failure and does not change the exit code; it is reported as an info-level finding naming the \
exception relied on and the rule's citations, and counted on its own in the summary, so that an \
auditor sees who relied on the exception. SARIF marks it a note, GitHub a notice, JUnit a passing \
test case with the explanation in <system-out>. An example expects it with `expect RULE exempt`.",
        "[V0004] Advice: [occupy_good_supplement_good] project P3: exempt from 占优补优: the requirement does not hold, but the exception does: livelihood_project",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_sorted_within_letters() {
        let mut seen = std::collections::HashSet::new();
        for c in CODES {
            assert!(seen.insert(c.code), "{} twice", c.code);
            assert!(
                !c.title_zh.is_empty()
                    && !c.title_en.is_empty()
                    && !c.zh.is_empty()
                    && !c.en.is_empty()
            );
            assert!(!c.example.is_empty());
        }
    }

    #[test]
    fn lookup_and_suggestions() {
        assert_eq!(lookup("e0202").map(|c| c.code), Some("E0202"));
        assert_eq!(lookup("[W0101]").map(|c| c.code), Some("W0101"));
        assert!(lookup("E9999").is_none());
        assert_eq!(did_you_mean("E0220"), Some("E0202"));
        assert_eq!(did_you_mean("202"), Some("E0202"));
        assert_eq!(did_you_mean("hello world"), None);
    }
}
