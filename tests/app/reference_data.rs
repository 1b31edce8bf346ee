//! Reference data loaded from the real public sources in `seed/`.

use crate::common::TestApp;
use domain::entities::{
    capacity, course, course_capacity, department, indicator, indicator_capacity,
    indicator_observation, municipality, pdet_subregion,
};
use domain::reference_data;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

#[rocket::async_test]
async fn every_department_municipality_and_pdet_subregion_is_loaded() {
    let app = TestApp::new().await;
    let db = app.db();
    assert_eq!(department::Entity::find().count(db).await.unwrap(), 33);
    assert_eq!(municipality::Entity::find().count(db).await.unwrap(), 1122);
    assert_eq!(pdet_subregion::Entity::find().count(db).await.unwrap(), 16);
    let pdet = municipality::Entity::find()
        .filter(municipality::Column::PdetSubregionId.is_not_null())
        .count(db)
        .await
        .unwrap();
    assert_eq!(pdet, 170);

    // DANE codes keep their leading zero.
    let medellin = municipality::Entity::find_by_id("05001")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(medellin.name, "Medellín");
    assert_eq!(medellin.department_code, "05");
    assert_eq!(medellin.category.as_deref(), Some("E"));
    assert_eq!(medellin.dnp_capacity_group.as_deref(), Some("C"));
    assert!(medellin.is_department_capital);
    assert!(medellin.pdet_subregion_id.is_none());

    let bogota = department::Entity::find_by_id("11")
        .one(db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bogota.name, "Bogotá, D.C.");
}

#[rocket::async_test]
async fn the_seven_pilot_municipalities_keep_their_accents_and_subregions() {
    let app = TestApp::new().await;
    let db = app.db();
    let expected = [
        (
            "18592",
            "Puerto Rico",
            "Cuenca del Caguán y Piedemonte Caqueteño",
        ),
        (
            "18256",
            "El Paujíl",
            "Cuenca del Caguán y Piedemonte Caqueteño",
        ),
        (
            "18610",
            "San José del Fragua",
            "Cuenca del Caguán y Piedemonte Caqueteño",
        ),
        (
            "18094",
            "Belén de los Andaquíes",
            "Cuenca del Caguán y Piedemonte Caqueteño",
        ),
        ("50325", "Mapiripán", "Macarena - Guaviare"),
        ("50450", "Puerto Concordia", "Macarena - Guaviare"),
        ("50577", "Puerto Lleras", "Macarena - Guaviare"),
    ];
    for (code, name, subregion) in expected {
        let (found, region) = municipality::Entity::find_by_id(code)
            .find_also_related(pdet_subregion::Entity)
            .one(db)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(found.name, name);
        assert_eq!(region.map(|r| r.name).as_deref(), Some(subregion), "{name}");
        assert_eq!(
            found.category.as_deref(),
            Some("6"),
            "{name} is 6th category"
        );
    }
    let paujil = municipality::Entity::find()
        .filter(municipality::Column::SearchName.eq("el paujil"))
        .one(db)
        .await
        .unwrap();
    assert_eq!(
        paujil.map(|m| m.code).as_deref(),
        Some("18256"),
        "accent-insensitive key"
    );
}

#[rocket::async_test]
async fn capacities_indicators_and_course_lines_are_loaded() {
    let app = TestApp::new().await;
    let db = app.db();
    let names: Vec<String> = capacity::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        names,
        [
            "Planeación territorial",
            "Movilización de recursos",
            "Ejecución de recursos",
            "Gobierno abierto y transparencia",
            "Ordenamiento territorial"
        ]
    );
    // MDM 2020 (score and four components), category 2020–2023 and IDF 2020–2023.
    assert_eq!(indicator::Entity::find().count(db).await.unwrap(), 12);
    // 5,505 MDM + 3,305 categories (2022 left out: its annex repeats 2023) + 26,290 IDF
    // (2023 non-reporters left out), as counted from the seed files.
    assert_eq!(
        indicator_observation::Entity::find()
            .count(db)
            .await
            .unwrap(),
        35_100
    );
    let value = |code: &'static str, place: &'static str, year: i32| async move {
        let indicator = indicator::Entity::find()
            .filter(indicator::Column::Code.eq(code))
            .one(db)
            .await
            .unwrap()
            .unwrap();
        indicator_observation::Entity::find()
            .filter(indicator_observation::Column::IndicatorId.eq(indicator.id))
            .filter(indicator_observation::Column::MunicipalityCode.eq(place))
            .filter(indicator_observation::Column::Year.eq(year))
            .one(db)
            .await
            .unwrap()
    };
    let medellin = value("mdm_movilizacion_recursos", "05001", 2020)
        .await
        .unwrap();
    assert!((medellin.value - 85.4174).abs() < 1e-9);
    assert!(!medellin.synthetic);
    let idf = value("idf_puntaje", "05001", 2023).await.unwrap();
    assert!((idf.value - 69.7802).abs() < 1e-9);
    assert_eq!(
        idf.source,
        "DNP – anexo del Índice de Desempeño Fiscal, vigencia 2023"
    );
    // El Paujíl is category 6; Medellín special (0).
    assert_eq!(
        value("categoria_municipal", "18256", 2023)
            .await
            .unwrap()
            .value,
        6.0
    );
    assert_eq!(
        value("categoria_municipal", "05001", 2021)
            .await
            .unwrap()
            .value,
        0.0
    );
    assert!(
        value("categoria_municipal", "05001", 2022).await.is_none(),
        "2022 repeats 2023"
    );
    // 05150 did not report in 2023: DNP's zero-scored IDF is not loaded.
    assert!(value("idf_puntaje", "05150", 2023).await.is_none());
    assert!(value("idf_puntaje", "05150", 2022).await.is_some());
    // Every indicator measures at least one capacity; the IDF two.
    let idf_links = indicator_capacity::Entity::find()
        .filter(indicator_capacity::Column::IndicatorId.eq(idf.indicator_id))
        .count(db)
        .await
        .unwrap();
    assert_eq!(idf_links, 2);

    let courses: Vec<String> = course::Entity::find()
        .all(db)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    assert_eq!(
        courses,
        [
            "Planeación Territorial",
            "Gestión de Proyectos",
            "Gestión Presupuestal",
            "Gestión Tributaria",
            "Rendición Pública de Cuentas"
        ]
    );
    // Every course targets at least one capacity.
    for course in course::Entity::find().all(db).await.unwrap() {
        let links = course_capacity::Entity::find()
            .filter(course_capacity::Column::CourseId.eq(course.id))
            .count(db)
            .await
            .unwrap();
        assert!(links >= 1, "{} targets a capacity", course.name);
    }
}

#[rocket::async_test]
async fn loading_twice_changes_nothing() {
    let app = TestApp::new().await;
    let db = app.db();
    reference_data::ensure_loaded(db)
        .await
        .expect("second load");
    reference_data::ensure_loaded(db).await.expect("third load");
    assert_eq!(department::Entity::find().count(db).await.unwrap(), 33);
    assert_eq!(municipality::Entity::find().count(db).await.unwrap(), 1122);
    assert_eq!(pdet_subregion::Entity::find().count(db).await.unwrap(), 16);
    assert_eq!(capacity::Entity::find().count(db).await.unwrap(), 5);
    assert_eq!(
        indicator_observation::Entity::find()
            .count(db)
            .await
            .unwrap(),
        35_100
    );
    assert_eq!(indicator::Entity::find().count(db).await.unwrap(), 12);
    assert_eq!(course::Entity::find().count(db).await.unwrap(), 5);
}
