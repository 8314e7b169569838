//! Library half of the whence developer tools: takes nothing at run time and gives the MaxMind DB
//! writer (`mmdb`) that builds whence's embedded ASN database and the small databases its tests
//! need. It is a library, not only a binary module, so whence's own tests can write databases.

pub mod mmdb;
