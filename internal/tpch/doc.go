// Package tpch generates TPC-H-shaped data deterministically and provides the
// 22 TPC-H queries written against the demo mesh's qualified table names.
//
// The generator follows the value domains and distributions of the TPC-H
// specification (v3, clause 4.2.3) closely enough that every query returns
// meaningful, non-empty results at scale factors 0.01, 0.1 and 1, but it does
// not reproduce dbgen's random streams: output is byte-for-byte stable for a
// given (table, scale factor) across runs and platforms, not equal to dbgen's.
//
// Every row is derived from a per-table seed and the row's index alone (a
// splitmix64 hash), so tables can be generated independently and in any
// order, and orders and lineitem agree with each other without sharing state.
//
// All keys, including o_orderkey and l_orderkey, are INTEGER (32-bit): the
// sparse order keys reach 4 * 1,500,000 * SF, which fits up to SF ~350.
//
// Notes on scale: supplier, customer, part and orders have
// round(base * SF) rows (at least 1), partsupp has 4 rows per part, nation
// and region are fixed at 25 and 5 rows, and lineitem has 1..7 rows per
// order (about 4 * orders). Unique partsupp keys need at least 4 suppliers,
// that is SF >= 0.0004.
package tpch
