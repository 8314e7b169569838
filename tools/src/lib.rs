//! Library half of the whence developer tools: takes nothing at run time and gives the MaxMind DB
//! writer (`mmdb`) that builds whence's embedded ASN database and the small databases its tests
//! need, and the attack scenario generator (`scenario`) that writes `samples/` with their ground
//! truth, and the world map generator (`world_map`) behind `data/worlddata/world-map.tsv`. All are a library, not only binary modules, so whence's own tests can write databases
//! and check that the generator still reproduces the committed samples.

pub mod mmdb;
pub mod scenario;
pub mod world_map;
