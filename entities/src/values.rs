//! Closed value sets stored as text.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// `$text` is a token tree, not a `literal` fragment: a fragment reaches derive macros wrapped
/// in an invisible group, and utoipa's `ToSchema` would not see the `serde(rename)` in it (the
/// description would list `cc` for `CC`).
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:tt),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $(#[sea_orm(string_value = $text)] #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }

            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some(Self::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a signed-in person may do; a reviewer also carries a department.
    Role {
        Admin = "admin",
        Coordinator = "coordinator",
        Instructor = "instructor",
        Participant = "participant",
        Reviewer = "reviewer",
        Liaison = "liaison",
    }
);

text_enum!(
    /// CC cédula de ciudadanía, CE cédula de extranjería, PA pasaporte, PPT permiso por
    /// protección temporal.
    DocumentType { Cc = "CC", Ce = "CE", Pa = "PA", Ppt = "PPT" });

text_enum!(
    /// What kind of organisation a provider (oferente) is.
    ProviderKind {
        Nacional = "nacional",
        Gobernacion = "gobernacion",
        Universidad = "universidad",
        Cooperacion = "cooperacion",
        Gremio = "gremio",
        Otra = "otra",
    }
);

text_enum!(
    /// What kind of organisation a member of an alliance is when it is not a provider of the
    /// product (issue 48).
    AllianceMemberKind {
        Universidad = "universidad",
        CamaraComercio = "camara_comercio",
        AsociacionEntidadesTerritoriales = "asociacion_entidades_territoriales",
        EntidadNacional = "entidad_nacional",
        Cooperacion = "cooperacion",
        SociedadCivil = "sociedad_civil",
        Otra = "otra",
    }
);

impl AllianceMemberKind {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AllianceMemberKind::Universidad => "Universidad",
            AllianceMemberKind::CamaraComercio => "Cámara de comercio",
            AllianceMemberKind::AsociacionEntidadesTerritoriales => {
                "Asociación de entidades territoriales"
            }
            AllianceMemberKind::EntidadNacional => "Entidad nacional",
            AllianceMemberKind::Cooperacion => "Cooperación",
            AllianceMemberKind::SociedadCivil => "Sociedad civil",
            AllianceMemberKind::Otra => "Otra",
        }
    }
}

text_enum!(
    /// The follow-up of an agreement of an alliance's table (issue 48): open, or done.
    AllianceAgreementStatus {
        Open = "open",
        Done = "done",
    }
);

impl AllianceAgreementStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AllianceAgreementStatus::Open => "Abierto",
            AllianceAgreementStatus::Done => "Cumplido",
        }
    }
}

text_enum!(
    /// A technical assistance's state: planned → in progress → closed, or cancelled.
    AssistanceStatus {
        Planned = "planned",
        InProgress = "in_progress",
        Closed = "closed",
        Cancelled = "cancelled",
    }
);

text_enum!(
    /// The entity an assistance accompanies: a body of a municipality, an association of
    /// territorial entities (by the municipality that leads it), a community organisation of a
    /// municipality, or a gobernación (of a department, with no municipality).
    AssistedEntity {
        Alcaldia = "alcaldia",
        Concejo = "concejo",
        Personeria = "personeria",
        ConsejoTerritorialPlaneacion = "consejo_territorial_planeacion",
        Gobernacion = "gobernacion",
        EsquemaAsociativo = "esquema_asociativo",
        OrganizacionComunitaria = "organizacion_comunitaria",
    }
);

text_enum!(
    /// What an assistance handed over.
    ProductKind {
        Herramienta = "herramienta",
        Documento = "documento",
        Plantilla = "plantilla",
        Otro = "otro",
    }
);

text_enum!(
    /// An agreement (compromiso) of a visit (issue 49): pending until its owner does it
    /// (done, with the day and a note) or it is given up (dropped, with the reason).
    AgreementStatus {
        Pending = "pending",
        Done = "done",
        Dropped = "dropped",
    }
);

text_enum!(
    /// How an assistance's work plan was accepted for the entity (issue 49): by the
    /// municipality's liaison signed in, through the link emailed to the entity's contact, or
    /// recorded as agreed before the rule (assistances already under way when it came).
    AcceptanceVia {
        Liaison = "liaison",
        Link = "link",
        BeforeRule = "before_rule",
        Reviewer = "reviewer",
    }
);

text_enum!(
    /// Why an emailed link to accept a work plan version no longer accepts (issue 62): a new
    /// version was written while it waited, the entity's contact changed after it was sent,
    /// or it was sent before the rule to an address nobody of the territory confirmed.
    LinkVoidReason {
        PlanChanged = "plan_changed",
        ContactChanged = "contact_changed",
        UnconfirmedContact = "unconfirmed_contact",
    }
);

text_enum!(
    /// Whom a replica (issue 48) was delivered to.
    ReplicaAudience {
        Servidores = "servidores",
        ConsejoPlaneacion = "consejo_planeacion",
        OrganizacionesComunitarias = "organizaciones_comunitarias",
        Jovenes = "jovenes",
        Otra = "otra",
    }
);

impl ReplicaAudience {
    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Servidores => "Servidores públicos",
            Self::ConsejoPlaneacion => "Consejo territorial de planeación",
            Self::OrganizacionesComunitarias => "Organizaciones comunitarias",
            Self::Jovenes => "Jóvenes",
            Self::Otra => "Otra",
        }
    }
}

text_enum!(
    /// Whether a replica counts (issue 62, item 2): within the bounds it counts at once
    /// (`counted`); beyond them it waits for a coordinator's review (`pending`) and counts only
    /// once approved (`approved`); a rejected one never counts.
    ReplicaReview {
        Counted = "counted",
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
);

impl ReplicaReview {
    /// Its name for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Counted => "Cuenta",
            Self::Pending => "En revisión",
            Self::Approved => "Aprobada",
            Self::Rejected => "Rechazada",
        }
    }

    /// Whether the replica's people count in the figures.
    pub fn counts(self) -> bool {
        matches!(self, Self::Counted | Self::Approved)
    }
}

text_enum!(
    /// A year's plan (issue 47): a draft, approved by an act, amended (each amendment a new
    /// version), closed when its year has ended.
    PlanStatus {
        Draft = "draft",
        Approved = "approved",
        Amended = "amended",
        Closed = "closed",
    }
);

text_enum!(
    /// Which municipalities a plan line targets when it does not list them: the PDET ones,
    /// those of categories 5 and 6, or the «¿Dónde formar?» selection of the day — within the
    /// plan's territory.
    TargetRule {
        Pdet = "pdet",
        Categories56 = "categories_5_6",
        Priorities = "priorities",
    }
);

text_enum!(
    /// Where a plan line's money comes from (fuente).
    BudgetSource {
        Inversion = "inversion",
        Funcionamiento = "funcionamiento",
        Cooperacion = "cooperacion",
        Sgr = "sgr",
        Propios = "propios",
    }
);

text_enum!(
    /// What a cost item pays for.
    CostKind {
        Instructores = "instructores",
        Sede = "sede",
        Viajes = "viajes",
        Materiales = "materiales",
        Plataforma = "plataforma",
        Otro = "otro",
    }
);

text_enum!(
    /// How a cost item's amount counts: once, per participant, per session (a cohort) or visit
    /// (an assistance).
    CostBasis {
        Fijo = "fijo",
        PorParticipante = "por_participante",
        PorSesion = "por_sesion",
    }
);

text_enum!(
    /// A cost item's stage: planned, committed (contracted) or executed (paid).
    CostStage {
        Planeado = "planeado",
        Comprometido = "comprometido",
        Ejecutado = "ejecutado",
    }
);

text_enum!(
    /// What a delivery fact counts: a cohort or an assistance.
    #[derive(PartialOrd, Ord)]
    DeliverySource {
        Cohort = "cohort",
        Assistance = "assistance",
    }
);

text_enum!(
    /// One of CONPES's descriptor lists (issue 49): the sectors of the national budget or the
    /// policy's population groups.
    DescriptorKind {
        Sector = "sector",
        PopulationGroup = "population_group",
    }
);

text_enum!(
    /// What carries descriptors.
    DescriptorSubject {
        Course = "course",
        Assistance = "assistance",
        Demand = "demand",
    }
);

text_enum!(Modality { Presencial = "presencial", Virtual = "virtual", Mixta = "mixta" });

text_enum!(CohortStatus {
    Draft = "draft",
    Open = "open",
    InProgress = "in_progress",
    Closed = "closed",
    Cancelled = "cancelled",
});

text_enum!(EnrolmentStatus {
    Enrolled = "enrolled",
    Waitlisted = "waitlisted",
    Cancelled = "cancelled",
    Completed = "completed",
    NotCompleted = "not_completed",
});

text_enum!(
    /// A nomination (postulación): proposed by the liaison and waiting for the person to
    /// confirm, confirmed, then accepted (enrolled or waitlisted) or declined with a reason.
    NominationStatus {
        Pending = "pending",
        Confirmed = "confirmed",
        Accepted = "accepted",
        Declined = "declined",
    }
);

text_enum!(
    /// A coordinator's invitation to enrol (issue 46): waiting for the person, accepted (she is
    /// enrolled), declined, or past the cohort's enrolment.
    InvitationStatus {
        Pending = "pending",
        Accepted = "accepted",
        Declined = "declined",
        Expired = "expired",
    }
);

text_enum!(
    /// An attendance mark; `presente` and `tarde` count as attended.
    Mark { Presente = "presente", Tarde = "tarde", Excusado = "excusado", Ausente = "ausente" });

text_enum!(
    /// How a mark was recorded: by hand, by the participant's check-in, or from an uploaded sheet.
    MarkSource { Manual = "manual", CheckIn = "check_in", Sheet = "sheet" });

text_enum!(
    /// `superseded`: replaced by a re-issued certificate (see `superseded_by`).
    CertificateStatus { Valid = "valid", Revoked = "revoked", Superseded = "superseded" });

text_enum!(
    /// Issue 64: a diplomado (typically 90–160 hours of modules), a programa de formación (e.g.
    /// of trainers) or a ruta de aprendizaje a new team follows.
    ProgrammeKind { Diplomado = "diplomado", Programa = "programa", Ruta = "ruta" });

text_enum!(
    /// A programme is drafted by its provider and then published on the catalogue.
    ProgrammeStatus { Draft = "draft", Published = "published" });

text_enum!(
    /// A person in an edition: in every module's cohort, on the edition's waiting list, or
    /// gone from every module.
    ProgrammeEnrolmentStatus {
        Enrolled = "enrolled",
        Waitlisted = "waitlisted",
        Cancelled = "cancelled",
    }
);

text_enum!(OutboxStatus { Pending = "pending", Sent = "sent", Failed = "failed" });

text_enum!(ConsentKind { DataProcessing = "data_processing", SensitiveData = "sensitive_data" });

text_enum!(
    /// A municipal demand: open → planned (a cohort answers it) → met, or declined.
    DemandStatus { Open = "open", Planned = "planned", Met = "met", Declined = "declined" });

text_enum!(
    /// How urgent a municipality says its demand is.
    DemandPriority { Alta = "alta", Media = "media", Baja = "baja" });

text_enum!(
    /// Which survey: satisfaction when a cohort closes, follow-up 90 days later.
    SurveyKind { Satisfaction = "satisfaction", FollowUp = "follow_up" });

text_enum!(
    /// «¿Ha aplicado lo aprendido?» in a follow-up.
    Application { Si = "si", Parcialmente = "parcialmente", No = "no" });

text_enum!(MunicipalityKind {
    Municipio = "municipio",
    Distrito = "distrito",
    AreaNoMunicipalizada = "area_no_municipalizada",
});

impl Role {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrador",
            Role::Coordinator => "Coordinación",
            Role::Instructor => "Instructor",
            Role::Participant => "Participante",
            Role::Reviewer => "Revisor de gobernación",
            Role::Liaison => "Enlace municipal",
        }
    }
}

impl DemandStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            DemandStatus::Open => "Abierta",
            DemandStatus::Planned => "Planeada",
            DemandStatus::Met => "Atendida",
            DemandStatus::Declined => "Declinada",
        }
    }
}

impl SurveyKind {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            SurveyKind::Satisfaction => "Encuesta de satisfacción",
            SurveyKind::FollowUp => "Encuesta de seguimiento",
        }
    }
}

impl Application {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Application::Si => "Sí",
            Application::Parcialmente => "Parcialmente",
            Application::No => "No",
        }
    }
}

impl NominationStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            NominationStatus::Pending => "Por confirmar",
            NominationStatus::Confirmed => "Confirmada",
            NominationStatus::Accepted => "Aceptada",
            NominationStatus::Declined => "Rechazada",
        }
    }

    /// Still holding the person's place in line: pending, confirmed or accepted.
    pub fn is_live(self) -> bool {
        !matches!(self, NominationStatus::Declined)
    }
}

impl InvitationStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            InvitationStatus::Pending => "Pendiente",
            InvitationStatus::Accepted => "Aceptada",
            InvitationStatus::Declined => "Rechazada",
            InvitationStatus::Expired => "Vencida",
        }
    }
}

impl AssistanceStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AssistanceStatus::Planned => "Planeada",
            AssistanceStatus::InProgress => "En curso",
            AssistanceStatus::Closed => "Cerrada",
            AssistanceStatus::Cancelled => "Cancelada",
        }
    }

    /// Closed and cancelled assistances are history.
    pub fn is_final(self) -> bool {
        matches!(self, AssistanceStatus::Closed | AssistanceStatus::Cancelled)
    }
}

impl PlanStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            PlanStatus::Draft => "Borrador",
            PlanStatus::Approved => "Aprobado",
            PlanStatus::Amended => "Aprobado y modificado",
            PlanStatus::Closed => "Cerrado",
        }
    }
}

impl CostKind {
    pub const ALL: [CostKind; 6] = [
        CostKind::Instructores,
        CostKind::Sede,
        CostKind::Viajes,
        CostKind::Materiales,
        CostKind::Plataforma,
        CostKind::Otro,
    ];

    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            CostKind::Instructores => "Instructores",
            CostKind::Sede => "Sede",
            CostKind::Viajes => "Viajes",
            CostKind::Materiales => "Materiales",
            CostKind::Plataforma => "Plataforma",
            CostKind::Otro => "Otro",
        }
    }
}

impl CostBasis {
    pub const ALL: [CostBasis; 3] = [
        CostBasis::Fijo,
        CostBasis::PorParticipante,
        CostBasis::PorSesion,
    ];

    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            CostBasis::Fijo => "Valor fijo",
            CostBasis::PorParticipante => "Por participante",
            CostBasis::PorSesion => "Por sesión o visita",
        }
    }
}

impl CostStage {
    pub const ALL: [CostStage; 3] = [
        CostStage::Planeado,
        CostStage::Comprometido,
        CostStage::Ejecutado,
    ];

    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            CostStage::Planeado => "Planeado",
            CostStage::Comprometido => "Comprometido",
            CostStage::Ejecutado => "Ejecutado",
        }
    }
}

impl TargetRule {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            TargetRule::Pdet => "Municipios PDET",
            TargetRule::Categories56 => "Municipios de categorías 5 y 6",
            TargetRule::Priorities => "La selección de «¿Dónde formar?» del día",
        }
    }
}

impl BudgetSource {
    /// Every source, in the order people read them.
    pub const ALL: [BudgetSource; 5] = [
        BudgetSource::Inversion,
        BudgetSource::Funcionamiento,
        BudgetSource::Cooperacion,
        BudgetSource::Sgr,
        BudgetSource::Propios,
    ];

    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            BudgetSource::Inversion => "Inversión",
            BudgetSource::Funcionamiento => "Funcionamiento",
            BudgetSource::Cooperacion => "Cooperación",
            BudgetSource::Sgr => "Sistema General de Regalías (SGR)",
            BudgetSource::Propios => "Recursos propios",
        }
    }
}

impl AssistedEntity {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AssistedEntity::Alcaldia => "Alcaldía",
            AssistedEntity::Concejo => "Concejo municipal",
            AssistedEntity::Personeria => "Personería",
            AssistedEntity::ConsejoTerritorialPlaneacion => "Consejo territorial de planeación",
            AssistedEntity::Gobernacion => "Gobernación",
            AssistedEntity::EsquemaAsociativo => "Esquema asociativo territorial",
            AssistedEntity::OrganizacionComunitaria => "Organización comunitaria",
        }
    }

    /// A gobernación is the department's: it has no municipality. Every other entity is
    /// a municipality's (an association by the municipality that leads it).
    pub fn is_departmental(self) -> bool {
        self == AssistedEntity::Gobernacion
    }
}

impl ProductKind {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ProductKind::Herramienta => "Herramienta",
            ProductKind::Documento => "Documento",
            ProductKind::Plantilla => "Plantilla",
            ProductKind::Otro => "Otro",
        }
    }
}

impl AgreementStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AgreementStatus::Pending => "Pendiente",
            AgreementStatus::Done => "Cumplido",
            AgreementStatus::Dropped => "Descartado",
        }
    }
}

impl AcceptanceVia {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            AcceptanceVia::Liaison => "por el enlace municipal",
            AcceptanceVia::Link => "por el enlace enviado al contacto de la entidad",
            AcceptanceVia::BeforeRule => "acordado antes de que se exigiera la aceptación",
            AcceptanceVia::Reviewer => "por el revisor departamental",
        }
    }
}

impl ProviderKind {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::Nacional => "Entidad nacional",
            ProviderKind::Gobernacion => "Gobernación",
            ProviderKind::Universidad => "Universidad",
            ProviderKind::Cooperacion => "Cooperación",
            ProviderKind::Gremio => "Gremio",
            ProviderKind::Otra => "Otra",
        }
    }
}

impl DemandPriority {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            DemandPriority::Alta => "Alta",
            DemandPriority::Media => "Media",
            DemandPriority::Baja => "Baja",
        }
    }

    /// For ordering: alta first.
    pub fn rank(self) -> u8 {
        match self {
            DemandPriority::Alta => 0,
            DemandPriority::Media => 1,
            DemandPriority::Baja => 2,
        }
    }
}

impl CohortStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            CohortStatus::Draft => "Borrador",
            CohortStatus::Open => "Inscripciones abiertas",
            CohortStatus::InProgress => "En curso",
            CohortStatus::Closed => "Cerrada",
            CohortStatus::Cancelled => "Cancelada",
        }
    }

    /// Closed and cancelled cohorts are history: nothing about them changes any more.
    pub fn is_final(self) -> bool {
        matches!(self, CohortStatus::Closed | CohortStatus::Cancelled)
    }
}

impl EnrolmentStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            EnrolmentStatus::Enrolled => "Inscrito",
            EnrolmentStatus::Waitlisted => "En lista de espera",
            EnrolmentStatus::Cancelled => "Cancelada",
            EnrolmentStatus::Completed => "Aprobado",
            EnrolmentStatus::NotCompleted => "No aprobado",
        }
    }
}

impl Modality {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Modality::Presencial => "Presencial",
            Modality::Virtual => "Virtual",
            Modality::Mixta => "Mixta",
        }
    }
}

impl ProgrammeKind {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ProgrammeKind::Diplomado => "Diplomado",
            ProgrammeKind::Programa => "Programa de formación",
            ProgrammeKind::Ruta => "Ruta de aprendizaje",
        }
    }
}

impl CertificateStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            CertificateStatus::Valid => "Válido",
            CertificateStatus::Revoked => "Revocado",
            CertificateStatus::Superseded => "Reemplazado por una versión corregida",
        }
    }
}

impl OutboxStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            OutboxStatus::Pending => "Pendiente",
            OutboxStatus::Sent => "Enviado",
            OutboxStatus::Failed => "Rechazado",
        }
    }
}

impl Mark {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Mark::Presente => "Presente",
            Mark::Tarde => "Tarde",
            Mark::Excusado => "Excusado",
            Mark::Ausente => "Ausente",
        }
    }

    /// Presente and tarde count as attended for completion.
    pub fn counts_as_attended(self) -> bool {
        matches!(self, Mark::Presente | Mark::Tarde)
    }
}

text_enum!(
    /// What a resource of the knowledge bank is (issue 48).
    ResourceKind {
        Guia = "guia",
        Herramienta = "herramienta",
        Plantilla = "plantilla",
        Grabacion = "grabacion",
        LeccionAprendida = "leccion_aprendida",
        BuenaPractica = "buena_practica",
    }
);

text_enum!(
    /// The stage of the public-management cycle a resource serves (issue 48): the courses'
    /// list (`catalogue::courses::MANAGEMENT_STAGES`), as codes.
    ResourceStage {
        Planeacion = "planeacion",
        ProgramacionPresupuestal = "programacion_presupuestal",
        Financiacion = "financiacion",
        Ejecucion = "ejecucion",
        SeguimientoEvaluacion = "seguimiento_evaluacion",
        RendicionCuentas = "rendicion_cuentas",
    }
);

text_enum!(
    /// Who reads a published resource: anyone signed in, or anyone (public page, open data).
    ResourceVisibility {
        Cuentas = "cuentas",
        Publico = "publico",
    }
);

text_enum!(
    /// A resource is a draft until its provider's coordinator publishes it; withdrawn
    /// (`unpublished`) it leaves the search and open data.
    ResourceStatus {
        Draft = "draft",
        Published = "published",
        Unpublished = "unpublished",
    }
);

impl ResourceKind {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ResourceKind::Guia => "Guía",
            ResourceKind::Herramienta => "Herramienta",
            ResourceKind::Plantilla => "Plantilla",
            ResourceKind::Grabacion => "Grabación",
            ResourceKind::LeccionAprendida => "Lección aprendida",
            ResourceKind::BuenaPractica => "Buena práctica",
        }
    }

    /// Lessons learned and good practices carry their structure (context, problem, what was
    /// done, what worked, evidence).
    pub fn is_lesson(self) -> bool {
        matches!(
            self,
            ResourceKind::LeccionAprendida | ResourceKind::BuenaPractica
        )
    }
}

impl ResourceStage {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ResourceStage::Planeacion => "Planeación",
            ResourceStage::ProgramacionPresupuestal => "Programación presupuestal",
            ResourceStage::Financiacion => "Financiación",
            ResourceStage::Ejecucion => "Ejecución",
            ResourceStage::SeguimientoEvaluacion => "Seguimiento y evaluación",
            ResourceStage::RendicionCuentas => "Rendición de cuentas",
        }
    }
}

impl ResourceVisibility {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ResourceVisibility::Cuentas => "Personas con cuenta",
            ResourceVisibility::Publico => "Público",
        }
    }
}

impl ResourceStatus {
    /// Spanish name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            ResourceStatus::Draft => "Borrador",
            ResourceStatus::Published => "Publicado",
            ResourceStatus::Unpublished => "Retirado",
        }
    }
}
