//! Typed references into a template: `Handle<R>` for a resource of type `R`, `Param` for a
//! parameter. `Ref` and `Fn::GetAtt` are made only here, and `get_att` takes the resource
//! type's own attribute enum, so a dangling reference or an unknown attribute does not compile.

use std::marker::PhantomData;

use serde::Serialize;

use super::expr::{Brand, Expr};

/// A CloudFormation resource type: its properties (the implementing struct, serialized as
/// `Properties`), its type name, and the attributes `Fn::GetAtt` may read. `'t` is the brand
/// of the template whose expressions the properties hold.
pub trait Resource<'t>: Serialize {
    /// `AWS::Service::Type`.
    const TYPE: &'static str;
    /// The attributes this type has.
    type Attr: Attribute;
}

/// One attribute name of one resource type.
pub trait Attribute: Copy {
    fn name(self) -> &'static str;
}

/// The attribute enum of a type whose attributes the stack never reads.
#[derive(Clone, Copy, Debug)]
pub enum NoAttributes {}

impl Attribute for NoAttributes {
    fn name(self) -> &'static str {
        match self {}
    }
}

/// Declares a resource type's attribute enum: `attributes!(BucketAttr { Arn, DomainName })`.
macro_rules! attributes {
    ($(#[$meta:meta])* $name:ident { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $crate::Attribute for $name {
            fn name(self) -> &'static str {
                match self { $($name::$variant => stringify!($variant)),+ }
            }
        }
    };
}
pub(crate) use attributes;

/// A resource added to the template under construction. Only `Builder::add` makes one.
///
/// ```
/// use xtask_cfn::s3::{Bucket, BucketAttr};
/// use xtask_cfn::Template;
///
/// Template::build("t", |t| {
///     let bucket = t.add("ChartsBucket", Bucket::default());
///     let _arn = bucket.get_att(BucketAttr::Arn);
/// });
/// ```
///
/// References that could not be valid do not compile (checked by these examples, with the
/// error code each must fail with). An attribute the resource type does not have:
/// ```compile_fail,E0599
/// # use xtask_cfn::s3::{Bucket, BucketAttr};
/// # use xtask_cfn::Template;
/// Template::build("t", |t| {
///     let bucket = t.add("ChartsBucket", Bucket::default());
///     let _ = bucket.get_att(BucketAttr::WebsiteUrl);
/// });
/// ```
/// An attribute of another resource type:
/// ```compile_fail,E0308
/// # use xtask_cfn::lambda::FunctionAttr;
/// # use xtask_cfn::s3::Bucket;
/// # use xtask_cfn::Template;
/// Template::build("t", |t| {
///     let bucket = t.add("ChartsBucket", Bucket::default());
///     let _ = bucket.get_att(FunctionAttr::Arn);
/// });
/// ```
/// A `Ref` written from a logical id instead of a handle:
/// ```compile_fail,E0624
/// let _ = xtask_cfn::Expr::reference("ChartsBucket");
/// ```
/// A handle made up rather than returned by `add`:
/// ```compile_fail,E0624
/// # use xtask_cfn::{s3::Bucket, Handle};
/// let _: Handle<'static, Bucket> = Handle::new("ChartsBucket");
/// ```
/// A handle of one template used in another, whose resource is not in that template:
/// ```compile_fail,E0521
/// # use xtask_cfn::iam::PolicyDocument;
/// # use xtask_cfn::s3::{Bucket, BucketPolicy};
/// # use xtask_cfn::Template;
/// Template::build("outer", |outer| {
///     let bucket = outer.add("ChartsBucket", Bucket::default());
///     Template::build("inner", |inner| {
///         let policy = BucketPolicy {
///             bucket: bucket.reference(),
///             policy_document: PolicyDocument::new(vec![]),
///         };
///         inner.add("ChartsBucketPolicy", policy);
///     });
/// });
/// ```
/// A handle taken out of its template:
/// ```compile_fail,E0521
/// # use xtask_cfn::{s3::Bucket, Template};
/// let mut leaked = None;
/// Template::build("t", |t| leaked = Some(t.add("ChartsBucket", Bucket::default())));
/// ```
#[derive(Debug)]
pub struct Handle<'t, R> {
    id: &'static str,
    _type: PhantomData<fn() -> R>,
    _brand: Brand<'t>,
}

impl<R> Clone for Handle<'_, R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Handle<'_, R> {}

impl<'t, R: Resource<'t>> Handle<'t, R> {
    pub(crate) fn new(id: &'static str) -> Self {
        Handle {
            id,
            _type: PhantomData,
            _brand: PhantomData,
        }
    }

    /// `{"Ref": LogicalId}` (what it returns depends on the type: a name, an ARN, an id).
    pub fn reference(&self) -> Expr<'t> {
        Expr::reference(self.id)
    }

    /// `{"Fn::GetAtt": [LogicalId, attribute]}` for an attribute of this resource's type.
    pub fn get_att(&self, attribute: R::Attr) -> Expr<'t> {
        Expr::get_att(self.id, attribute.name())
    }

    pub fn logical_id(&self) -> &'static str {
        self.id
    }
}

/// A parameter of the template under construction. Only `Builder::parameter` makes one.
#[derive(Debug)]
pub struct Param<'t> {
    id: &'static str,
    _brand: Brand<'t>,
}

impl Clone for Param<'_> {
    fn clone(&self) -> Self {
        *self
    }
}
impl Copy for Param<'_> {}

impl<'t> Param<'t> {
    pub(crate) fn new(id: &'static str) -> Self {
        Param {
            id,
            _brand: PhantomData,
        }
    }

    /// `{"Ref": ParameterName}`: the value given at deploy time.
    pub fn reference(&self) -> Expr<'t> {
        Expr::reference(self.id)
    }

    pub fn logical_id(&self) -> &'static str {
        self.id
    }
}

/// A `DependsOn` entry, made from a handle.
#[derive(Clone, Copy, Debug)]
pub struct Dep<'t> {
    pub(crate) id: &'static str,
    _brand: Brand<'t>,
}

impl<'t, R: Resource<'t>> From<Handle<'t, R>> for Dep<'t> {
    fn from(h: Handle<'t, R>) -> Self {
        Dep {
            id: h.id,
            _brand: PhantomData,
        }
    }
}
