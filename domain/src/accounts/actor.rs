//! Who acts: a plain value the domain functions take (never a request type), so the rules can
//! be called from a handler, a job or a test alike. The request guards build it.

use crate::entities::user;
use crate::entities::values::Role;
use serde::Serialize;

#[derive(Clone, Debug, Serialize)]
pub struct Actor {
    pub id: i32,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub department_code: Option<String>,
    /// The API token used for this request, if it came with one.
    #[serde(skip)]
    pub token_id: Option<i32>,
}

impl Actor {
    pub fn from_model(model: user::Model, token_id: Option<i32>) -> Self {
        Actor {
            id: model.id,
            email: model.email,
            full_name: model.full_name,
            role: model.role,
            department_code: model.department_code,
            token_id,
        }
    }

    /// The one department a reviewer may see; `None` means no department restriction
    /// (every other role has its own rules, applied by the domain functions).
    pub fn department_scope(&self) -> Option<&str> {
        match self.role {
            Role::Reviewer => self.department_code.as_deref(),
            _ => None,
        }
    }

    /// Admin can do what a coordinator can.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Coordinator)
    }
}
