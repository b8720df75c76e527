//! Values in a template: literals and the intrinsic functions (`Ref`, `Fn::GetAtt`, `Fn::Sub`,
//! `Fn::Join`, `Fn::If`) as one typed expression, plus the condition functions
//! (`Fn::Equals`, `Fn::Not`, `Fn::And`), the AWS pseudo parameters, and [`Choice`], an `Fn::If`
//! between two typed property values.
//! `Ref` and `Fn::GetAtt` cannot be written from a string: they come from handles (`handle.rs`).
//! Everything serializes in long form (`Fn::Sub:` maps, never YAML `!` tags).

use std::marker::PhantomData;

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};

/// Ties handles and expressions to the one template under construction (see
/// `Template::build`): the lifetime is invariant, so values of two templates never mix.
pub(crate) type Brand<'t> = PhantomData<fn(&'t ()) -> &'t ()>;

/// A property value: a literal or an intrinsic function.
#[derive(Clone, Debug)]
pub struct Expr<'t> {
    node: Node,
    _brand: Brand<'t>,
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Str(String),
    Int(i64),
    Bool(bool),
    List(Vec<Node>),
    /// `Ref` of a logical id or a pseudo parameter (`AWS::Region`).
    Ref(&'static str),
    GetAtt(&'static str, &'static str),
    Sub(Vec<Part>),
    Join(String, Vec<Node>),
    /// `Fn::Split` of a string-valued expression.
    Split(String, Box<Node>),
    If(&'static str, Box<Node>, Box<Node>),
}

#[derive(Clone, Debug, PartialEq)]
enum Part {
    Lit(String),
    Expr(Node),
}

impl<'t> Expr<'t> {
    fn new(node: Node) -> Self {
        Expr {
            node,
            _brand: PhantomData,
        }
    }

    /// `{"Ref": id}`; only handles call this.
    pub(crate) fn reference(id: &'static str) -> Self {
        Self::new(Node::Ref(id))
    }

    /// `{"Fn::GetAtt": [id, attribute]}`; only handles call this.
    pub(crate) fn get_att(id: &'static str, attribute: &'static str) -> Self {
        Self::new(Node::GetAtt(id, attribute))
    }

    /// `Fn::Sub` from literal text and expressions in order. A `Ref`, `GetAtt` or pseudo
    /// parameter becomes `${Name}` in the string; any other expression becomes a variable
    /// (`${v1}` …). Without any expression it is the plain string (cfn-lint W1020).
    /// Usually written with the `sub!` macro.
    pub fn sub(parts: impl IntoIterator<Item = SubPart<'t>>) -> Self {
        let mut merged: Vec<Part> = Vec::new();
        for SubPart(part, _) in parts {
            let part = match part {
                Part::Expr(Node::Str(s)) => Part::Lit(s),
                Part::Expr(Node::Int(i)) => Part::Lit(i.to_string()),
                other => other,
            };
            match (merged.last_mut(), part) {
                (Some(Part::Lit(prev)), Part::Lit(s)) => prev.push_str(&s),
                (_, part) => merged.push(part),
            }
        }
        match merged.as_slice() {
            [] => Self::new(Node::Str(String::new())),
            [Part::Lit(s)] => Self::new(Node::Str(s.clone())),
            _ => Self::new(Node::Sub(merged)),
        }
    }

    /// `{"Fn::Join": [delimiter, [items…]]}`.
    pub fn join(delimiter: &str, items: impl IntoIterator<Item = Expr<'t>>) -> Self {
        Self::new(Node::Join(
            delimiter.to_owned(),
            items.into_iter().map(|e| e.node).collect(),
        ))
    }

    /// `{"Fn::Split": [delimiter, text]}`: a list (e.g. of a comma-separated parameter).
    pub fn split(delimiter: &str, text: Expr<'t>) -> Self {
        Self::new(Node::Split(delimiter.to_owned(), Box::new(text.node)))
    }

    /// `{"Fn::If": [condition, then, else]}`.
    pub fn if_(condition: Condition<'t>, then: Expr<'t>, otherwise: Expr<'t>) -> Self {
        Self::new(Node::If(
            condition.id,
            Box::new(then.node),
            Box::new(otherwise.node),
        ))
    }

    /// A YAML list of expressions (e.g. `Architectures: [!Ref Architecture]`).
    pub fn list(items: impl IntoIterator<Item = Expr<'t>>) -> Self {
        Self::new(Node::List(items.into_iter().map(|e| e.node).collect()))
    }

    /// `{"Ref": "AWS::NoValue"}`: removes the property, for the other branch of `Fn::If`.
    pub fn no_value() -> Self {
        Self::new(Node::Ref("AWS::NoValue"))
    }

    /// The literal string, if this expression is one (tests, lints).
    pub fn as_literal(&self) -> Option<&str> {
        match &self.node {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl From<&str> for Expr<'_> {
    fn from(s: &str) -> Self {
        Self::new(Node::Str(s.to_owned()))
    }
}

impl From<String> for Expr<'_> {
    fn from(s: String) -> Self {
        Self::new(Node::Str(s))
    }
}

impl From<i64> for Expr<'_> {
    fn from(i: i64) -> Self {
        Self::new(Node::Int(i))
    }
}

impl From<u32> for Expr<'_> {
    fn from(i: u32) -> Self {
        Self::new(Node::Int(i.into()))
    }
}

impl From<bool> for Expr<'_> {
    fn from(b: bool) -> Self {
        Self::new(Node::Bool(b))
    }
}

impl From<Pseudo> for Expr<'_> {
    fn from(p: Pseudo) -> Self {
        Self::new(Node::Ref(p.name()))
    }
}

/// The AWS pseudo parameters the stack uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pseudo {
    AccountId,
    Partition,
    Region,
    StackName,
    UrlSuffix,
}

impl Pseudo {
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::Region => "AWS::Region",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
        }
    }
}

/// One piece of an `Fn::Sub`: literal text or an expression.
pub struct SubPart<'t>(Part, Brand<'t>);

impl From<&str> for SubPart<'_> {
    fn from(s: &str) -> Self {
        SubPart(Part::Lit(s.to_owned()), PhantomData)
    }
}

impl From<String> for SubPart<'_> {
    fn from(s: String) -> Self {
        SubPart(Part::Lit(s), PhantomData)
    }
}

impl<'t> From<Expr<'t>> for SubPart<'t> {
    fn from(e: Expr<'t>) -> Self {
        SubPart(Part::Expr(e.node), PhantomData)
    }
}

impl From<Pseudo> for SubPart<'_> {
    fn from(p: Pseudo) -> Self {
        SubPart(Part::Expr(Node::Ref(p.name())), PhantomData)
    }
}

/// `Fn::Sub` from text and expressions: `sub!("arn:", Pseudo::Partition, ":s3:::", bucket.reference())`.
#[macro_export]
macro_rules! sub {
    ($($part:expr),+ $(,)?) => {
        $crate::Expr::sub([$($crate::SubPart::from($part)),+])
    };
}

/// A named condition of the template; made by `Builder::condition`, used by `Expr::if_`
/// and `ResourceOptions::condition`.
#[derive(Debug)]
pub struct Condition<'t> {
    pub(crate) id: &'static str,
    pub(crate) _brand: Brand<'t>,
}

impl Clone for Condition<'_> {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for Condition<'_> {}

impl Condition<'_> {
    pub fn logical_id(&self) -> &'static str {
        self.id
    }
}

/// A condition function: `Fn::Equals`, `Fn::Not`.
#[derive(Clone, Debug)]
pub struct Cond<'t> {
    node: CondNode,
    _brand: Brand<'t>,
}

#[derive(Clone, Debug, PartialEq)]
enum CondNode {
    Equals(Node, Node),
    Not(Box<CondNode>),
    And(Vec<CondNode>),
}

impl<'t> Cond<'t> {
    pub fn equals(a: impl Into<Expr<'t>>, b: impl Into<Expr<'t>>) -> Self {
        Cond {
            node: CondNode::Equals(a.into().node, b.into().node),
            _brand: PhantomData,
        }
    }

    // Not `std::ops::Not`: this builds a CloudFormation function, it does not negate a value.
    #[allow(clippy::should_implement_trait)]
    pub fn not(c: Cond<'t>) -> Self {
        Cond {
            node: CondNode::Not(Box::new(c.node)),
            _brand: PhantomData,
        }
    }

    /// `Fn::And` of two to ten conditions.
    pub fn and(conditions: impl IntoIterator<Item = Cond<'t>>) -> Self {
        let all: Vec<CondNode> = conditions.into_iter().map(|c| c.node).collect();
        assert!(
            (2..=10).contains(&all.len()),
            "Fn::And takes 2 to 10 conditions"
        );
        Cond {
            node: CondNode::And(all),
            _brand: PhantomData,
        }
    }
}

/// A property value that is `T`, or `Fn::If` between two values of `T` (the second may be
/// `AWS::NoValue`, which removes the property): typed like the property, so both branches
/// are checked like any other value of it.
#[derive(Debug)]
pub enum Choice<'t, T> {
    Always(T),
    If {
        condition: Condition<'t>,
        then: Box<T>,
        /// `None`: `{"Ref": "AWS::NoValue"}`.
        otherwise: Option<Box<T>>,
    },
}

impl<'t, T> Choice<'t, T> {
    /// `Fn::If [condition, then, otherwise]`.
    pub fn either(condition: Condition<'t>, then: T, otherwise: T) -> Self {
        Choice::If {
            condition,
            then: Box::new(then),
            otherwise: Some(Box::new(otherwise)),
        }
    }

    /// `Fn::If [condition, then, AWS::NoValue]`: the property only when `condition` holds.
    pub fn only_if(condition: Condition<'t>, then: T) -> Self {
        Choice::If {
            condition,
            then: Box::new(then),
            otherwise: None,
        }
    }
}

impl<T: Serialize> Serialize for Choice<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Choice::Always(value) => value.serialize(s),
            Choice::If {
                condition,
                then,
                otherwise,
            } => {
                struct Branches<'a, T>(&'a str, &'a T, Option<&'a T>);
                impl<T: Serialize> Serialize for Branches<'_, T> {
                    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                        let mut seq = s.serialize_seq(Some(3))?;
                        seq.serialize_element(self.0)?;
                        seq.serialize_element(self.1)?;
                        match self.2 {
                            Some(value) => seq.serialize_element(value)?,
                            None => seq.serialize_element(&Node::Ref("AWS::NoValue"))?,
                        }
                        seq.end()
                    }
                }
                single(
                    s,
                    "Fn::If",
                    &Branches(condition.id, then.as_ref(), otherwise.as_deref()),
                )
            }
        }
    }
}

// ---- serialization ------------------------------------------------------------------------

impl Serialize for Expr<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.node.serialize(s)
    }
}

impl Serialize for Cond<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.node.serialize(s)
    }
}

fn single<S: Serializer, V: Serialize + ?Sized>(s: S, key: &str, v: &V) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry(key, v)?;
    m.end()
}

impl Serialize for Node {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Node::Str(v) => s.serialize_str(v),
            Node::Int(v) => s.serialize_i64(*v),
            Node::Bool(v) => s.serialize_bool(*v),
            Node::List(items) => items.serialize(s),
            Node::Ref(id) => single(s, "Ref", id),
            Node::GetAtt(id, attr) => single(s, "Fn::GetAtt", &[id, attr]),
            Node::Join(delim, items) => single(s, "Fn::Join", &JoinArgs(delim, items)),
            Node::Split(delim, text) => single(s, "Fn::Split", &(delim, text.as_ref())),
            Node::If(cond, a, b) => single(s, "Fn::If", &IfArgs(cond, a, b)),
            Node::Sub(parts) => {
                let (text, vars) = render_sub(parts);
                if vars.is_empty() {
                    single(s, "Fn::Sub", &text)
                } else {
                    single(s, "Fn::Sub", &SubArgs(&text, &vars))
                }
            }
        }
    }
}

struct JoinArgs<'a>(&'a str, &'a [Node]);
impl Serialize for JoinArgs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(2))?;
        seq.serialize_element(self.0)?;
        seq.serialize_element(self.1)?;
        seq.end()
    }
}

struct IfArgs<'a>(&'a str, &'a Node, &'a Node);
impl Serialize for IfArgs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(3))?;
        seq.serialize_element(self.0)?;
        seq.serialize_element(self.1)?;
        seq.serialize_element(self.2)?;
        seq.end()
    }
}

struct SubArgs<'a>(&'a str, &'a [(String, &'a Node)]);
impl Serialize for SubArgs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(2))?;
        seq.serialize_element(self.0)?;
        seq.serialize_element(&VarMap(self.1))?;
        seq.end()
    }
}

struct VarMap<'a>(&'a [(String, &'a Node)]);
impl Serialize for VarMap<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// The `Fn::Sub` string and its variables. Literal `${` is escaped as `${!`.
/// Variables are named `v1`, `v2`, …: logical ids start with an upper-case letter, so
/// they never shadow a resource or parameter.
fn render_sub(parts: &[Part]) -> (String, Vec<(String, &Node)>) {
    let mut text = String::new();
    let mut vars = Vec::new();
    for part in parts {
        match part {
            Part::Lit(s) => text.push_str(&s.replace("${", "${!")),
            Part::Expr(Node::Ref(id)) => {
                text.push_str("${");
                text.push_str(id);
                text.push('}');
            }
            Part::Expr(Node::GetAtt(id, attr)) => {
                text.push_str(&format!("${{{id}.{attr}}}"));
            }
            Part::Expr(other) => {
                let name = format!("v{}", vars.len() + 1);
                text.push_str(&format!("${{{name}}}"));
                vars.push((name, other));
            }
        }
    }
    (text, vars)
}

impl Serialize for CondNode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            CondNode::Equals(a, b) => single(s, "Fn::Equals", &[a, b]),
            CondNode::Not(c) => single(s, "Fn::Not", &[c]),
            CondNode::And(all) => single(s, "Fn::And", all),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(v: &impl Serialize) -> String {
        serde_yaml::to_string(v).unwrap()
    }

    fn condition(id: &'static str) -> Condition<'static> {
        Condition {
            id,
            _brand: PhantomData,
        }
    }

    #[test]
    fn ref_is_a_long_form_map() {
        assert_eq!(
            yaml(&Expr::reference("ChartsBucket")),
            "Ref: ChartsBucket\n"
        );
    }

    #[test]
    fn get_att_is_a_two_element_list() {
        assert_eq!(
            yaml(&Expr::get_att("ChartsBucket", "Arn")),
            "Fn::GetAtt:\n- ChartsBucket\n- Arn\n"
        );
    }

    #[test]
    fn pseudo_parameters_are_refs() {
        assert_eq!(
            yaml(&Expr::from(Pseudo::AccountId)),
            "Ref: AWS::AccountId\n"
        );
        assert_eq!(
            yaml(&Expr::from(Pseudo::UrlSuffix)),
            "Ref: AWS::URLSuffix\n"
        );
    }

    #[test]
    fn sub_inlines_refs_attributes_and_pseudo_parameters() {
        let e: Expr = crate::sub!(
            "arn:",
            Pseudo::Partition,
            ":s3:::",
            Expr::reference("Source"),
            "/",
            Expr::get_att("Bucket", "Arn"),
        );
        assert_eq!(
            yaml(&e),
            "Fn::Sub: arn:${AWS::Partition}:s3:::${Source}/${Bucket.Arn}\n"
        );
    }

    #[test]
    fn sub_puts_other_expressions_into_named_variables() {
        let joined = Expr::join(",", [Expr::reference("A"), Expr::from("b")]);
        let e: Expr = crate::sub!("x=", joined, ";y=", Expr::from(7u32));
        assert_eq!(
            yaml(&e),
            "Fn::Sub:\n- x=${v1};y=7\n- v1:\n    Fn::Join:\n    - ','\n    - - Ref: A\n      - b\n"
        );
    }

    #[test]
    fn sub_escapes_literal_dollar_braces() {
        let e: Expr = crate::sub!("${literal} ", Expr::reference("A"));
        assert_eq!(yaml(&e), "Fn::Sub: ${!literal} ${A}\n");
    }

    #[test]
    fn sub_without_expressions_is_the_plain_string() {
        let e: Expr = crate::sub!("author-monthly-stats/", "*");
        assert_eq!(yaml(&e), "author-monthly-stats/*\n");
        assert_eq!(e.as_literal(), Some("author-monthly-stats/*"));
    }

    #[test]
    fn join_takes_delimiter_and_list() {
        let e = Expr::join("", [Expr::from("a"), Expr::reference("B")]);
        assert_eq!(yaml(&e), "Fn::Join:\n- ''\n- - a\n  - Ref: B\n");
    }

    #[test]
    fn if_names_the_condition_and_both_branches() {
        let e = Expr::if_(
            condition("HasAlarmEmail"),
            Expr::list([Expr::reference("AlarmTopic")]),
            Expr::no_value(),
        );
        assert_eq!(
            yaml(&e),
            "Fn::If:\n- HasAlarmEmail\n- - Ref: AlarmTopic\n- Ref: AWS::NoValue\n"
        );
    }

    #[test]
    fn equals_and_not_are_condition_functions() {
        let c = Cond::not(Cond::equals(Expr::reference("AlarmEmail"), ""));
        assert_eq!(
            yaml(&c),
            "Fn::Not:\n- Fn::Equals:\n  - Ref: AlarmEmail\n  - ''\n"
        );
    }

    #[test]
    fn split_takes_delimiter_and_text() {
        let e = Expr::split(",", Expr::reference("Origins"));
        assert_eq!(yaml(&e), "Fn::Split:\n- ','\n- Ref: Origins\n");
    }

    #[test]
    fn and_lists_its_conditions() {
        let c = Cond::and([
            Cond::equals(Expr::reference("A"), ""),
            Cond::not(Cond::equals(Expr::reference("B"), "")),
        ]);
        assert_eq!(
            yaml(&c),
            "Fn::And:\n- Fn::Equals:\n  - Ref: A\n  - ''\n- Fn::Not:\n  - Fn::Equals:\n    - Ref: B\n    - ''\n"
        );
    }

    #[test]
    fn a_choice_is_fn_if_between_typed_values_or_no_value() {
        #[derive(Serialize)]
        struct Cert {
            #[serde(rename = "Default")]
            default: bool,
        }
        let plain: Choice<Cert> = Choice::Always(Cert { default: true });
        assert_eq!(yaml(&plain), "Default: true\n");
        let either = Choice::either(
            condition("HasDomain"),
            Cert { default: false },
            Cert { default: true },
        );
        assert_eq!(
            yaml(&either),
            "Fn::If:\n- HasDomain\n- Default: false\n- Default: true\n"
        );
        let only = Choice::only_if(condition("HasDomain"), Cert { default: false });
        assert_eq!(
            yaml(&only),
            "Fn::If:\n- HasDomain\n- Default: false\n- Ref: AWS::NoValue\n"
        );
    }

    #[test]
    fn literals_keep_their_yaml_types() {
        assert_eq!(yaml(&Expr::from(900u32)), "900\n");
        assert_eq!(yaml(&Expr::from(true)), "true\n");
        // A string of digits stays a string (environment variable values must be strings).
        assert_eq!(yaml(&Expr::from("32")), "'32'\n");
        assert_eq!(yaml(&Expr::from("false")), "'false'\n");
    }
}
