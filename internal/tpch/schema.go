package tpch

import (
	"fmt"
	"math"
	"sync"
)

// Tables lists the eight TPC-H tables in dependency order.
var Tables = []string{"region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem"}

// TableNames maps each TPC-H table to its qualified mesh name
// (domain.product.table).
var TableNames = map[string]string{
	"region":   "customers.crm.region",
	"nation":   "customers.crm.nation",
	"customer": "customers.crm.customer",
	"orders":   "sales.orders.orders",
	"lineitem": "sales.orders.lineitem",
	"part":     "supply.parts.part",
	"supplier": "supply.parts.supplier",
	"partsupp": "supply.parts.partsupp",
}

// Column is a TPC-H column with its SQL type as DuckDB writes it.
type Column struct {
	Name string
	Type string
}

// SQL types used by the TPC-H columns.
const (
	TypeInteger = "INTEGER"
	TypeDecimal = "DECIMAL(15,2)"
	TypeDate    = "DATE"
	TypeVarchar = "VARCHAR"
)

var columns = map[string][]Column{
	"region": {{"r_regionkey", TypeInteger}, {"r_name", TypeVarchar}, {"r_comment", TypeVarchar}},
	"nation": {{"n_nationkey", TypeInteger}, {"n_name", TypeVarchar}, {"n_regionkey", TypeInteger},
		{"n_comment", TypeVarchar}},
	"supplier": {{"s_suppkey", TypeInteger}, {"s_name", TypeVarchar}, {"s_address", TypeVarchar},
		{"s_nationkey", TypeInteger}, {"s_phone", TypeVarchar}, {"s_acctbal", TypeDecimal},
		{"s_comment", TypeVarchar}},
	"customer": {{"c_custkey", TypeInteger}, {"c_name", TypeVarchar}, {"c_address", TypeVarchar},
		{"c_nationkey", TypeInteger}, {"c_phone", TypeVarchar}, {"c_acctbal", TypeDecimal},
		{"c_mktsegment", TypeVarchar}, {"c_comment", TypeVarchar}},
	"part": {{"p_partkey", TypeInteger}, {"p_name", TypeVarchar}, {"p_mfgr", TypeVarchar},
		{"p_brand", TypeVarchar}, {"p_type", TypeVarchar}, {"p_size", TypeInteger},
		{"p_container", TypeVarchar}, {"p_retailprice", TypeDecimal}, {"p_comment", TypeVarchar}},
	"partsupp": {{"ps_partkey", TypeInteger}, {"ps_suppkey", TypeInteger}, {"ps_availqty", TypeInteger},
		{"ps_supplycost", TypeDecimal}, {"ps_comment", TypeVarchar}},
	"orders": {{"o_orderkey", TypeInteger}, {"o_custkey", TypeInteger}, {"o_orderstatus", TypeVarchar},
		{"o_totalprice", TypeDecimal}, {"o_orderdate", TypeDate}, {"o_orderpriority", TypeVarchar},
		{"o_clerk", TypeVarchar}, {"o_shippriority", TypeInteger}, {"o_comment", TypeVarchar}},
	"lineitem": {{"l_orderkey", TypeInteger}, {"l_partkey", TypeInteger}, {"l_suppkey", TypeInteger},
		{"l_linenumber", TypeInteger}, {"l_quantity", TypeDecimal}, {"l_extendedprice", TypeDecimal},
		{"l_discount", TypeDecimal}, {"l_tax", TypeDecimal}, {"l_returnflag", TypeVarchar},
		{"l_linestatus", TypeVarchar}, {"l_shipdate", TypeDate}, {"l_commitdate", TypeDate},
		{"l_receiptdate", TypeDate}, {"l_shipinstruct", TypeVarchar}, {"l_shipmode", TypeVarchar},
		{"l_comment", TypeVarchar}},
}

// Columns returns the table's columns in TPC-H order. The slice is a copy.
func Columns(table string) ([]Column, error) {
	cols, ok := columns[table]
	if !ok {
		return nil, fmt.Errorf("tpch: unknown table %q", table)
	}
	return append([]Column(nil), cols...), nil
}

// scale holds the row counts of the scaled tables at one scale factor.
type scale struct {
	sf                           float64
	supp, cust, part, ord, clerk int64
}

func newScale(sf float64) (scale, error) {
	if math.IsNaN(sf) || math.IsInf(sf, 0) || sf <= 0 || sf > 300 {
		return scale{}, fmt.Errorf("tpch: scale factor %v out of range (0, 300]", sf)
	}
	n := func(base float64) int64 { return max(1, int64(math.Round(base*sf))) }
	return scale{sf: sf, supp: n(10_000), cust: n(150_000), part: n(200_000), ord: n(1_500_000), clerk: n(1_000)}, nil
}

// RowCount returns the number of rows WriteCSV writes for table at sf.
func RowCount(table string, sf float64) (int64, error) {
	if _, ok := columns[table]; !ok {
		return 0, fmt.Errorf("tpch: unknown table %q", table)
	}
	s, err := newScale(sf)
	if err != nil {
		return 0, err
	}
	switch table {
	case "region":
		return int64(len(regions)), nil
	case "nation":
		return int64(len(nations)), nil
	case "supplier":
		return s.supp, nil
	case "customer":
		return s.cust, nil
	case "part":
		return s.part, nil
	case "partsupp":
		return 4 * s.part, nil
	case "orders":
		return s.ord, nil
	default: // lineitem
		return lineitemCount(s.ord), nil
	}
}

var lineCounts sync.Map // orders count -> lineitem count

// lineitemCount sums the line counts of all orders; the count is the first
// draw of each order's generator, so this does not generate the orders.
func lineitemCount(orders int64) int64 {
	if v, ok := lineCounts.Load(orders); ok {
		return v.(int64)
	}
	var total int64
	for i := range orders {
		r := rowRNG(seedOrders, i)
		total += r.between(1, 7)
	}
	lineCounts.Store(orders, total)
	return total
}
