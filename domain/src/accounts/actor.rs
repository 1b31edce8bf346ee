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
    /// A liaison's municipality (DANE code).
    pub municipality_code: Option<String>,
    /// A coordinator's territorial direction, with its departments; none = national.
    pub direction: Option<crate::territory::directions::Direction>,
    /// A coordinator's provider (issue 32): ESAP unless the account names another.
    pub provider_id: i32,
    /// The role as the page header shows it, naming a coordinator's provider (and
    /// direction): «Coordinación · DNP» ([`super::role_label`]).
    pub role_label: String,
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
            municipality_code: model.municipality_code,
            direction: None,
            provider_id: model.provider_id.unwrap_or(crate::providers::ESAP),
            role_label: model.role.label().to_string(),
            token_id,
        }
    }

    /// The actor of `model`, with its coordinator's direction read from the database.
    pub async fn load<C: sea_orm::ConnectionTrait>(
        db: &C,
        model: user::Model,
        token_id: Option<i32>,
    ) -> crate::error::AppResult<Self> {
        let direction = match model.territorial_direction_id {
            Some(id) if model.role == Role::Coordinator => {
                Some(crate::territory::directions::get(db, id).await?)
            }
            _ => None,
        };
        let role_label = if model.role == Role::Coordinator {
            let provider = model.provider_id.unwrap_or(crate::providers::ESAP);
            let provider = crate::providers::get(db, provider).await?;
            super::role_label(
                model.role,
                Some(&provider.name),
                direction.as_ref().map(|d| d.name.as_str()),
            )
        } else {
            model.role.label().to_string()
        };
        Ok(Actor {
            direction,
            role_label,
            ..Actor::from_model(model, token_id)
        })
    }

    /// The one department a reviewer may see; `None` means no department restriction
    /// (every other role has its own rules, applied by the domain functions).
    pub fn department_scope(&self) -> Option<&str> {
        match self.role {
            Role::Reviewer => self.department_code.as_deref(),
            _ => None,
        }
    }

    /// A territorial direction's coordinator's departments (DANE codes); `None` for everyone
    /// else (a direction without departments gives an empty list: nothing, never everything).
    pub fn direction_departments(&self) -> Option<&[String]> {
        match (&self.role, &self.direction) {
            (Role::Coordinator, Some(direction)) => Some(&direction.department_codes),
            _ => None,
        }
    }

    /// Whether the caller's territory includes a municipality: a reviewer's department, a
    /// liaison's municipality; every other role has no territorial limit here.
    pub fn covers_municipality(&self, municipality_code: &str, department_code: &str) -> bool {
        match self.role {
            Role::Reviewer => self.department_code.as_deref() == Some(department_code),
            Role::Liaison => self.municipality_code.as_deref() == Some(municipality_code),
            _ => true,
        }
    }

    /// The provider whose offer a coordinator manages (courses, cohorts and everything in
    /// them); `None` for an admin (every provider's) and for the roles that manage no offer.
    pub fn managed_provider(&self) -> Option<i32> {
        match self.role {
            Role::Coordinator => Some(self.provider_id),
            _ => None,
        }
    }

    /// A coordinator of a provider other than ESAP: reads the whole offer, manages its own,
    /// and sees the people of its own cohorts only.
    pub fn is_other_provider(&self) -> bool {
        self.role == Role::Coordinator && self.provider_id != crate::providers::ESAP
    }

    /// Admin can do what a coordinator can.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Coordinator)
    }
}
