//! Many inputs in one call: `analyzeMany` and `ingestBatch`, with per-input results (a bad
//! input gives its own error entry; the others still succeed).

use napi::bindgen_prelude::*;
use napi::Env;
use napi_derive::napi;

use crate::{error_object, js_options, BatchProgress, Control, CountProgress, Job, Json, Progress};

/// Per-input results, shaped like `Promise.allSettled`'s: `{ status: 'fulfilled', value }` or
/// `{ status: 'rejected', reason }`, `reason` being an `Error` with its `code`.
pub struct Settled(Vec<quaver::Result<serde_json::Value>>);

impl TypeName for Settled {
    fn type_name() -> &'static str {
        "Array"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Settled {
    unsafe fn to_napi_value(
        raw: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let env = Env::from_raw(raw);
        let mut items = Vec::with_capacity(val.0.len());
        for r in val.0 {
            let mut obj = Object::new(&env)?;
            match r {
                Ok(v) => {
                    obj.set_named_property("status", "fulfilled")?;
                    obj.set_named_property("value", Json(v))?;
                }
                Err(e) => {
                    obj.set_named_property("status", "rejected")?;
                    obj.set_named_property("reason", error_object(&env, &e)?)?;
                }
            }
            items.push(obj);
        }
        // SAFETY: the same env this conversion was called with.
        unsafe { Vec::<Object>::to_napi_value(raw, items) }
    }
}

fn settled(v: Vec<quaver::Result<serde_json::Value>>) -> napi::Result<Settled> {
    Ok(Settled(v))
}

/// `srcs` as facade inputs (paths, or encoded bytes copied out of JS memory).
fn inputs(srcs: Vec<Either<String, Uint8Array>>) -> Vec<quaver::Input> {
    srcs.into_iter()
        .map(|s| match s {
            Either::A(path) => quaver::Input::Path(path.into()),
            Either::B(bytes) => quaver::Input::bytes(bytes.to_vec()),
        })
        .collect()
}

/// `jobs` as the facade takes it (`None`: quaver's pool).
fn jobs(n: Option<u32>) -> quaver::Result<Option<usize>> {
    match n {
        Some(0) => Err(quaver::Error::invalid("jobs must be at least 1")),
        n => Ok(n.map(|n| n as usize)),
    }
}

promise_and_sync! {
    #[doc = "Analyse many inputs in parallel on quaver's thread pool (or on `options.jobs` threads):"]
    #[doc = "one settled entry per input, in input order; a bad input gives a `rejected` entry with"]
    #[doc = "its error and does not stop the others. Options are `analyze`'s plus `jobs` and"]
    #[doc = "`onProgress` (one `CountProgress` report per finished input)."]
    #[sync_doc = "`analyzeMany`, blocking the calling thread (`onProgress` is called on it, during the call)."]
    #[ts_return = "Array<Settled<Analysis>>", "Promise<Array<Settled<Analysis>>>"]
    fn analyze_many, analyze_many_sync(
        env,
        #[ts = "Array<string | Uint8Array>"] srcs: Vec<Either<String, Uint8Array>>,
        #[ts = "AnalyzeManyOptions | undefined | null"] options: Option<Unknown>,
    ) -> Job<Vec<quaver::Result<serde_json::Value>>, Settled> {
        let o = js_options(options, &["jobs"])?;
        let n = o.own::<u32>("jobs");
        let mut ctl = Control::default();
        let progress = ctl.progress::<CountProgress>(o.on_progress);
        let (rest, inputs) = (o.rest, inputs(srcs));
        let work = move || {
            let opts: quaver::AnalysisOptions = quaver::options::from_json(rest?)?;
            let (jobs, progress) = (jobs(n?)?, progress?);
            // Numbered in delivery order (workers finishing together race to report).
            let on_done = |_: usize, total: usize| {
                if let Some(p) = &progress {
                    p.send_nth(|done| CountProgress { done, total: total as u32 });
                }
            };
            let all = quaver::analyze_many(inputs, &opts, jobs, &on_done)?;
            Ok(all.into_iter().map(crate::report).collect())
        };
        Job::new(work, settled).with(ctl)
    }
}

/// One input of `ingestBatch` and what became of it.
pub struct BatchItem {
    input: String,
    out_dir: String,
    result: quaver::Result<serde_json::Value>,
}

/// Per-input results of `ingestBatch`: `{ input, outDir, status: 'ok', report }` or
/// `{ input, outDir, status: 'failed', error }`, `error` being an `Error` with its `code`.
pub struct Batch(Vec<BatchItem>);

impl TypeName for Batch {
    fn type_name() -> &'static str {
        "Array"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Batch {
    unsafe fn to_napi_value(
        raw: napi::sys::napi_env,
        val: Self,
    ) -> napi::Result<napi::sys::napi_value> {
        let env = Env::from_raw(raw);
        let mut items = Vec::with_capacity(val.0.len());
        for it in val.0 {
            let mut obj = Object::new(&env)?;
            obj.set_named_property("input", it.input)?;
            obj.set_named_property("outDir", it.out_dir)?;
            match it.result {
                Ok(v) => {
                    obj.set_named_property("status", "ok")?;
                    obj.set_named_property("report", Json(v))?;
                }
                Err(e) => {
                    obj.set_named_property("status", "failed")?;
                    obj.set_named_property("error", error_object(&env, &e)?)?;
                }
            }
            items.push(obj);
        }
        // SAFETY: the same env this conversion was called with.
        unsafe { Vec::<Object>::to_napi_value(raw, items) }
    }
}

fn batch(v: Vec<BatchItem>) -> napi::Result<Batch> {
    Ok(Batch(v))
}

fn display(p: &std::path::Path) -> String {
    p.display().to_string()
}

promise_and_sync! {
    #[doc = "Ingest many files into `outRoot/<stem>/` (`-2`, `-3`… for repeated stems), `options.jobs`"]
    #[doc = "at a time (default: half of quaver's threads), continuing past failures: a failed input"]
    #[doc = "gets a `failed` entry and a `report.json` with `\"status\": \"failed\"`. Results are in input"]
    #[doc = "order. Options are `ingest`'s plus `jobs`; `onProgress` receives one `BatchProgress`"]
    #[doc = "report per finished input."]
    #[sync_doc = "`ingestBatch`, blocking the calling thread (`onProgress` is called on it, during the call)."]
    #[ts_return = "BatchResult[]", "Promise<BatchResult[]>"]
    fn ingest_batch, ingest_batch_sync(
        env,
        #[ts = "string[]"] inputs: Vec<String>,
        out_root: String,
        #[ts = "IngestBatchOptions | undefined | null"] options: Option<Unknown>,
    ) -> Job<Vec<BatchItem>, Batch> {
        let o = js_options(options, &["jobs"])?;
        let n = o.own::<u32>("jobs");
        let mut ctl = Control::default();
        let progress = ctl.progress::<BatchProgress>(o.on_progress);
        let rest = o.rest;
        let work = move || {
            let opts: quaver::IngestOptions = quaver::options::from_json(rest?)?;
            let (jobs, progress): (_, Option<Progress<BatchProgress>>) = (jobs(n?)?, progress?);
            let paths: Vec<std::path::PathBuf> = inputs.iter().map(Into::into).collect();
            let on_done = |_: usize, total: usize, item: &quaver::ingest::BatchItem| {
                if let Some(p) = &progress {
                    p.send_nth(|done| BatchProgress {
                        done,
                        total: total as u32,
                        input: display(&item.input),
                        out_dir: display(&item.out_dir),
                        ok: item.result.is_ok(),
                    });
                }
            };
            let items = quaver::ingest_batch(&paths, &out_root, &opts, jobs, &on_done)?;
            Ok(items
                .into_iter()
                .map(|it| BatchItem {
                    input: display(&it.input),
                    out_dir: display(&it.out_dir),
                    result: crate::report(it.result),
                })
                .collect())
        };
        Job::new(work, batch).with(ctl)
    }
}
