//! Database schema of Aula Territorial as SeaORM migrations.
//!
//! The same migrations run on SQLite (the embedded default) and PostgreSQL, so they are
//! written with sea-query builders; the only raw SQL is portable (partial unique indexes).
//!
//! Every migration applies completely or not at all, on both engines (issue 46): each runs in
//! one transaction with the record that it was applied ([`Atomic`]), so a start that fails
//! half-way leaves the schema as it was before that migration and the next start applies it
//! again. On SQLite the transaction also keeps every statement of a migration on one pooled
//! connection (a connection reading an older snapshot once found a trigger «already exists»
//! that another had just dropped).

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_initial_schema;
mod m20261122_000002_report_indexes;
mod m20261123_000003_sessions;
mod m20261124_000004_figures;
mod m20261125_000005_indicators;
mod m20261126_000006_demand;
mod m20261127_000007_surveys;
mod m20261128_000008_status_lists;
mod m20261129_000009_email_changes;
mod m20261130_000010_providers;
mod m20261201_000011_assistance;
mod m20261203_000013_assistance_years;
mod m20261204_000014_instances;
mod m20261205_000015_seat_quotas;
mod m20261206_000016_planning_version;
mod m20261207_000017_kept_contents;
mod m20261208_000018_dirty_people;
mod m20261209_000019_enrolment_invitations;
mod m20261210_000020_owner_moves;
mod m20261211_000021_nominee_identity;
mod m20261212_000022_plans;
mod m20261213_000023_costs_and_progress;
mod m20261214_000024_agreement_states;
mod m20261215_000025_agreed_plans;
mod m20261216_000026_any_entity;
mod m20261217_000027_imported_records;
mod m20261218_000028_descriptors;
mod m20261219_000029_joint_delivery;
mod m20261220_000030_demand_entity;
mod m20261221_000031_knowledge_bank;
mod m20261222_000032_alliances;
mod m20261223_000033_replicators;
mod m20261224_000034_handover;
mod m20261225_000035_dirty_own_rows;
mod m20261226_000036_bank_storage;
mod m20261227_000037_replica_review;
mod m20261228_000038_confirmed_contacts;
mod m20261229_000039_import_drafts;
mod m20261230_000040_programmes;
mod m20261231_000041_virtual_classroom;
mod m20270101_000042_offline_attendance;
mod m20270102_000043_habeas_data;
mod m20270103_000044_self_assessment;
mod m20270104_000045_key_positions;
mod m20270105_000046_scope_figures;
mod shapes;

pub struct Migrator;

/// A migration run in one transaction on every backend (SeaORM's default runs SQLite's
/// statements one by one, outside any transaction). SQLite's schema changes are
/// transactional, PostgreSQL's too; none of these migrations needs a statement that cannot
/// run in a transaction.
struct Atomic<M>(M);

impl<M: MigrationName> MigrationName for Atomic<M> {
    fn name(&self) -> &str {
        self.0.name()
    }
}

#[async_trait::async_trait]
impl<M: MigrationTrait> MigrationTrait for Atomic<M> {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.up(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        self.0.down(manager).await
    }
}

fn atomic(migration: impl MigrationTrait + 'static) -> Box<dyn MigrationTrait> {
    Box::new(Atomic(migration))
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            atomic(m20261122_000001_initial_schema::Migration),
            atomic(m20261122_000002_report_indexes::Migration),
            atomic(m20261123_000003_sessions::Migration),
            atomic(m20261124_000004_figures::Migration),
            atomic(m20261125_000005_indicators::Migration),
            atomic(m20261126_000006_demand::Migration),
            atomic(m20261127_000007_surveys::Migration),
            atomic(m20261128_000008_status_lists::Migration),
            atomic(m20261129_000009_email_changes::Migration),
            atomic(m20261130_000010_providers::Migration),
            atomic(m20261201_000011_assistance::Migration),
            atomic(m20261203_000013_assistance_years::Migration),
            atomic(m20261204_000014_instances::Migration),
            atomic(m20261205_000015_seat_quotas::Migration),
            atomic(m20261206_000016_planning_version::Migration),
            atomic(m20261207_000017_kept_contents::Migration),
            atomic(m20261208_000018_dirty_people::Migration),
            atomic(m20261209_000019_enrolment_invitations::Migration),
            atomic(m20261210_000020_owner_moves::Migration),
            atomic(m20261211_000021_nominee_identity::Migration),
            atomic(m20261212_000022_plans::Migration),
            atomic(m20261213_000023_costs_and_progress::Migration),
            atomic(m20261214_000024_agreement_states::Migration),
            atomic(m20261216_000026_any_entity::Migration),
            atomic(m20261217_000027_imported_records::Migration),
            atomic(m20261218_000028_descriptors::Migration),
            atomic(m20261219_000029_joint_delivery::Migration),
            atomic(m20261215_000025_agreed_plans::Migration),
            atomic(m20261220_000030_demand_entity::Migration),
            atomic(m20261221_000031_knowledge_bank::Migration),
            atomic(m20261222_000032_alliances::Migration),
            atomic(m20261223_000033_replicators::Migration),
            atomic(m20261224_000034_handover::Migration),
            atomic(m20261225_000035_dirty_own_rows::Migration),
            atomic(m20261226_000036_bank_storage::Migration),
            atomic(m20261228_000038_confirmed_contacts::Migration),
            atomic(m20261227_000037_replica_review::Migration),
            atomic(m20261229_000039_import_drafts::Migration),
            atomic(m20261230_000040_programmes::Migration),
            atomic(m20261231_000041_virtual_classroom::Migration),
            atomic(m20270101_000042_offline_attendance::Migration),
            atomic(m20270102_000043_habeas_data::Migration),
            atomic(m20270103_000044_self_assessment::Migration),
            atomic(m20270104_000045_key_positions::Migration),
            atomic(m20270105_000046_scope_figures::Migration),
        ]
    }
}
