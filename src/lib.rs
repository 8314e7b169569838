//! whence: reads captured network traffic and reports where an attack came from, and how sure
//! anyone can be. The modules follow the pipeline: capture -> decode -> aggregate -> report.

#![forbid(unsafe_code)]

pub mod aggregate;
pub mod app;
pub mod assess;
pub mod batch;
pub mod capture;
pub mod cli;
pub mod config;
pub mod decode;
pub mod enrich;
pub mod evidence;
pub mod output;
pub mod render;
pub mod report;
pub mod timestamp;
