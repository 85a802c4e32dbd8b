//! `tawasul kb import` (a services knowledge base into the search index) and `tawasul search`
//! (the suggestions an agent would see for a citizen's message).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use tawasul_search::{DocKind, Document, SearchIndex};

/// Where a data directory keeps its search index.
pub fn index_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("search")
}

/// Categories of the Egypt Digital portal (`shared/data/services`) and the registry body that
/// answers for them. Services of bodies not in the shipped registry (justice, agriculture,
/// social insurance, labour, …) stay general: every body may suggest them.
const CATEGORY_BODIES: [(&str, &str); 9] = [
    ("التموين", "supply"),
    ("السجل التجاري", "supply"),
    ("الأحوال المدنية", "interior"),
    ("رخصى", "interior"),
    ("مركباتى", "interior"),
    ("الأدلة الجنائية", "interior"),
    ("الأوقاف", "awqaf"),
    ("التأمين الصحي الشامل", "health"),
    ("البريد المصري", "communications"),
];

/// One service as the portal's export writes it.
#[derive(serde::Deserialize)]
struct Service {
    service_name: Option<String>,
    #[serde(default)]
    category: String,
    #[serde(default)]
    service_url: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    terms: Vec<String>,
    #[serde(default, rename = "Documents")]
    documents: Vec<String>,
}

/// Reads a knowledge base file into documents; an item without a name is an error naming it.
pub fn read_services(path: &Path, body: Option<&str>) -> Result<Vec<Document>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let services: Vec<Service> = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: not a JSON list of services ({{\"service_name\",\"description\",\"terms\",\"Documents\",\"service_url\",\"category\"}})",
            path.display()
        )
    })?;
    let mut documents = Vec::with_capacity(services.len());
    for (index, service) in services.into_iter().enumerate() {
        let Some(name) = service.service_name.filter(|n| !n.trim().is_empty()) else {
            bail!("{}: item {}: no service_name", path.display(), index + 1);
        };
        let mapped = CATEGORY_BODIES
            .iter()
            .find(|(category, _)| *category == service.category.trim())
            .map(|(_, body)| body.to_string());
        let mut text = service.description.trim().to_string();
        if !service.documents.is_empty() {
            text.push_str("\nالمستندات المطلوبة: ");
            text.push_str(&service.documents.join("، "));
        }
        if !service.terms.is_empty() {
            text.push_str("\nالشروط: ");
            text.push_str(&service.terms.join(" "));
        }
        let source = if service.service_url.is_empty() {
            format!("{}#{}", path.display(), index + 1)
        } else {
            service.service_url
        };
        documents.push(Document {
            id: format!("service:{source}"),
            kind: DocKind::Service,
            body: body.map(String::from).or(mapped),
            title: name,
            text,
            source,
            label: service.category,
        });
    }
    Ok(documents)
}

/// `tawasul kb import FILE... [--body B]`.
pub fn import(data_dir: &Path, files: &[PathBuf], body: Option<&str>) -> Result<ExitCode> {
    // Read and check every file before touching the index: a bad file changes nothing.
    let mut documents = Vec::new();
    for file in files {
        documents.extend(read_services(file, body)?);
    }
    let index = SearchIndex::open_or_create(&index_dir(data_dir))?;
    index.upsert(&documents)?;
    let with_body = documents.iter().filter(|d| d.body.is_some()).count();
    println!(
        "{}",
        serde_json::json!({"services": documents.len(), "routed_to_a_body": with_body, "indexed_total": index.len()})
    );
    Ok(ExitCode::SUCCESS)
}

/// `tawasul search TEXT [--body B] [--limit N]`: one JSON line per suggestion, best first.
pub fn search(data_dir: &Path, text: &str, body: Option<&str>, limit: usize) -> Result<ExitCode> {
    let index = SearchIndex::open_or_create(&index_dir(data_dir))?;
    for hit in index.search(text, body, limit)? {
        println!("{}", serde_json::to_string(&hit)?);
    }
    Ok(ExitCode::SUCCESS)
}
