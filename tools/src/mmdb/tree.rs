//! Search tree: takes prefix inserts into a binary trie and gives the flattened node list of the
//! file's search tree (spec, "Search Tree Section"), with the overlap rule applied, equal
//! sibling networks merged and `::ffff:0:0/96` aliased to the IPv4 subtree.

use super::IpVersion;

/// `::ffff:0:0/96`, the IPv4-mapped block (RFC 4291 section 2.5.5.2): its length and its top
/// 96 bits read as a number.
pub(crate) const IPV4_MAPPED_PREFIX: u8 = 96;
pub(crate) const IPV4_MAPPED_BITS: u128 = 0xffff;

/// "No child" and "no record" in the trie; node and record counts stay far below it.
const NONE: u32 = u32::MAX;

/// A trie node: children by the next address bit, and the record inserted for exactly this
/// prefix, if any.
#[derive(Debug)]
struct TrieNode {
    children: [u32; 2],
    record: u32,
}

impl TrieNode {
    const EMPTY: TrieNode = TrieNode {
        children: [NONE, NONE],
        record: NONE,
    };
}

/// Every prefix inserted, keyed by its bits; node 0 is the root (the whole address space).
#[derive(Debug)]
pub(crate) struct Trie {
    nodes: Vec<TrieNode>,
}

/// One record of a search-tree node: no data, a record (by id, resolved to a data-section
/// offset when written), or another node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Record {
    Empty,
    Data(u32),
    Node(u32),
}

/// The flattened tree, node 0 the root, ready to be written.
#[derive(Debug)]
pub(crate) struct SearchTree {
    pub(crate) nodes: Vec<[Record; 2]>,
}

impl SearchTree {
    /// The ids of the records the tree points at, ascending.
    pub(crate) fn record_ids(&self) -> Vec<u32> {
        let mut ids: Vec<u32> = self
            .nodes
            .iter()
            .flatten()
            .filter_map(|record| match record {
                Record::Data(id) => Some(*id),
                _ => None,
            })
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

impl Trie {
    pub(crate) fn new() -> Trie {
        Trie {
            nodes: vec![TrieNode::EMPTY],
        }
    }

    /// Records `record` for the prefix of length `prefix` whose bits are the top bits of the
    /// `depth`-bit number `bits`. Deeper prefixes already inserted below it are kept (they are
    /// more specific); a record for this same prefix is replaced (the later insert wins).
    pub(crate) fn insert(&mut self, bits: u128, prefix: u8, depth: u8, record: u32) {
        let mut node = 0usize;
        for level in 0..prefix {
            let bit = ((bits >> (depth - 1 - level)) & 1) as usize;
            let child = self.nodes[node].children[bit];
            node = if child == NONE {
                let new = self.nodes.len();
                self.nodes.push(TrieNode::EMPTY);
                self.nodes[node].children[bit] = new as u32;
                new
            } else {
                child as usize
            };
        }
        self.nodes[node].record = record;
    }

    /// The search tree: each address gets the record of its longest inserted prefix, and a
    /// node whose two halves hold the same record becomes that record (so adjacent networks of
    /// one AS read back as one network, and the tree stays small).
    pub(crate) fn flatten(&self, ip_version: IpVersion) -> SearchTree {
        let mut built = Vec::new();
        let root = match self.resolve(0, NONE, &mut built) {
            Record::Node(index) => index,
            // The format needs a root node even when one record (or none) covers everything.
            leaf => {
                built.push([leaf, leaf]);
                (built.len() - 1) as u32
            }
        };
        if ip_version == IpVersion::V6 {
            alias_ipv4_mapped(&mut built, root);
        }
        renumber(&built, root)
    }

    /// Builds the subtree under trie node `node` (post-order into `built`); `inherited` is the
    /// record of the nearest enclosing prefix.
    fn resolve(&self, node: u32, inherited: u32, built: &mut Vec<[Record; 2]>) -> Record {
        let leaf = |record: u32| {
            if record == NONE {
                Record::Empty
            } else {
                Record::Data(record)
            }
        };
        // A missing child (NONE) is past the end of `nodes`: the enclosing prefix covers it.
        let Some(trie_node) = self.nodes.get(node as usize) else {
            return leaf(inherited);
        };
        let own = if trie_node.record == NONE {
            inherited
        } else {
            trie_node.record
        };
        if trie_node.children == [NONE, NONE] {
            return leaf(own);
        }
        let left = self.resolve(trie_node.children[0], own, built);
        let right = self.resolve(trie_node.children[1], own, built);
        // Two `Node`s are never equal (each is pushed once), so this merges leaves only.
        if left == right {
            return left;
        }
        built.push([left, right]);
        Record::Node((built.len() - 1) as u32)
    }
}

/// Points `::ffff:0:0/96` at the IPv4 subtree (the record reached by 96 left turns), as
/// MaxMind's databases do, so a reader given `::ffff:a.b.c.d` finds the IPv4 answer. Leaves on
/// the way are split; if the path already ends in the IPv4 answer, nothing changes.
fn alias_ipv4_mapped(built: &mut Vec<[Record; 2]>, root: u32) {
    let mut ipv4 = Record::Node(root);
    for _ in 0..IPV4_MAPPED_PREFIX {
        match ipv4 {
            Record::Node(index) => ipv4 = built[index as usize][0],
            _ => break,
        }
    }
    let mut node = root as usize;
    for level in 0..IPV4_MAPPED_PREFIX {
        // ::ffff:0:0 is 80 zero bits, then 16 one bits.
        let bit = usize::from(level >= 80);
        if level == IPV4_MAPPED_PREFIX - 1 {
            built[node][bit] = ipv4;
            return;
        }
        match built[node][bit] {
            Record::Node(child) => node = child as usize,
            leaf if leaf == ipv4 => return,
            leaf => {
                built.push([leaf, leaf]);
                let new = built.len() - 1;
                built[node][bit] = Record::Node(new as u32);
                node = new;
            }
        }
    }
}

/// Numbers nodes breadth-first from the root (root 0, as the format requires), visiting a
/// shared node (the IPv4 subtree, reached twice through the alias) once.
fn renumber(built: &[[Record; 2]], root: u32) -> SearchTree {
    let mut new_index = vec![NONE; built.len()];
    let mut order = Vec::with_capacity(built.len());
    new_index[root as usize] = 0;
    order.push(root);
    let mut next = 0;
    while let Some(&old) = order.get(next) {
        next += 1;
        for record in built[old as usize] {
            if let Record::Node(child) = record
                && new_index[child as usize] == NONE
            {
                new_index[child as usize] = order.len() as u32;
                order.push(child);
            }
        }
    }
    let nodes = order
        .iter()
        .map(|&old| {
            built[old as usize].map(|record| match record {
                Record::Node(child) => Record::Node(new_index[child as usize]),
                other => other,
            })
        })
        .collect();
    SearchTree { nodes }
}
