//! Assessment: pure rules over aggregated and enriched data. Takes counts, gives judgements
//! (diversity, spoofing, vectors, waves, attribution) with the evidence behind them.

pub mod attribution;
pub mod diversity;
pub mod spoofing;
pub mod vectors;
pub mod waves;
