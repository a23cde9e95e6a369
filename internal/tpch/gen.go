package tpch

import (
	"fmt"
	"io"
	"strconv"
)

// WriteCSV writes table at scale factor sf as CSV with a header row: comma
// separated, RFC 4180 quoting when needed, dates as YYYY-MM-DD, decimals with
// exactly two decimals, "\n" line ends. The output is byte-for-byte
// deterministic for a given (table, sf).
func WriteCSV(w io.Writer, table string, sf float64) error {
	cols, err := Columns(table)
	if err != nil {
		return err
	}
	s, err := newScale(sf)
	if err != nil {
		return err
	}
	c := newCSVWriter(w)
	for i, col := range cols {
		if i > 0 {
			c.buf = append(c.buf, ',')
		}
		c.buf = append(c.buf, col.Name...)
	}
	c.endRow()
	switch table {
	case "region":
		writeRegion(c)
	case "nation":
		writeNation(c)
	case "supplier":
		writeSupplier(c, s)
	case "customer":
		writeCustomer(c, s)
	case "part":
		writePart(c, s)
	case "partsupp":
		writePartsupp(c, s)
	case "orders":
		writeOrders(c, s)
	case "lineitem":
		writeLineitem(c, s)
	}
	c.flush()
	if c.err != nil {
		return fmt.Errorf("tpch: write %s: %w", table, c.err)
	}
	return nil
}

func writeRegion(c *csvWriter) {
	for i, name := range regions {
		r := rowRNG(seedRegion, int64(i))
		b := strconv.AppendInt(c.buf, int64(i), 10)
		b = append(b, ',')
		b = append(b, name...)
		b = append(b, ',')
		c.buf = appendField(b, drawText(&r, 31, 115))
		if !c.endRow() {
			return
		}
	}
}

func writeNation(c *csvWriter) {
	for i, n := range nations {
		r := rowRNG(seedNation, int64(i))
		b := strconv.AppendInt(c.buf, int64(i), 10)
		b = append(b, ',')
		b = append(b, n.name...)
		b = append(b, ',')
		b = strconv.AppendInt(b, int64(n.region), 10)
		b = append(b, ',')
		c.buf = appendField(b, drawText(&r, 31, 114))
		if !c.endRow() {
			return
		}
	}
}

// supplierComment returns the kind of special comment supplier row i gets:
// 5 in every 10,000 suppliers mention "Customer ... Complaints" and another 5
// "Customer ... Recommends" (clause 4.2.3, used by Q16). Row 17 is the first
// complaint, so even SF 0.01 (100 suppliers) has one.
func supplierComment(i int64) string {
	switch i % 2000 {
	case 17:
		return "Complaints"
	case 1017:
		return "Recommends"
	}
	return ""
}

// appendParty writes the columns suppliers and customers share, in TPC-H
// order: key, name (label + zero-padded key), address, nation key, phone
// (country code from the nation) and account balance, each followed by a comma.
func appendParty(b []byte, r *rng, label string, key int64) []byte {
	b = strconv.AppendInt(b, key, 10)
	b = append(b, label...)
	b = appendPad(b, key, 9)
	b = append(b, ',')
	b = appendVString(b, r, 10, 40)
	b = append(b, ',')
	nation := r.intn(25)
	b = strconv.AppendInt(b, nation, 10)
	b = append(b, ',')
	b = appendPhone(b, r, nation)
	b = append(b, ',')
	b = appendCents(b, r.between(-99_999, 999_999))
	return append(b, ',')
}

func writeSupplier(c *csvWriter, s scale) {
	for i := range s.supp {
		r := rowRNG(seedSupplier, i)
		b := appendParty(c.buf, &r, ",Supplier#", i+1)
		if kind := supplierComment(i); kind != "" {
			b = appendField(b, drawText(&r, 10, 40))
			b = append(b, " Customer "...)
			b = appendField(b, drawText(&r, 5, 25))
			b = append(b, ' ')
			b = append(b, kind...)
		} else {
			b = appendField(b, drawText(&r, 25, 100))
		}
		c.buf = b
		if !c.endRow() {
			return
		}
	}
}

func writeCustomer(c *csvWriter, s scale) {
	for i := range s.cust {
		r := rowRNG(seedCustomer, i)
		b := appendParty(c.buf, &r, ",Customer#", i+1)
		b = append(b, pick(&r, segments[:])...)
		b = append(b, ',')
		c.buf = appendField(b, drawText(&r, 29, 116))
		if !c.endRow() {
			return
		}
	}
}

// retailPrice returns p_retailprice in cents (clause 4.2.3).
func retailPrice(partkey int64) int64 {
	return 90_000 + (partkey/10)%20_001 + 100*(partkey%1_000)
}

// partSupplier returns the suppkey of the j-th (0..3) supplier of partkey
// (clause 4.2.3, PS_SUPPKEY). Where the spec's step would repeat a supplier
// (only with few suppliers, SF < 0.01) it falls back to a step of supp/4,
// so the four suppliers are distinct whenever supp >= 4.
func partSupplier(partkey, j, supp int64) int64 {
	d := (supp/4 + (partkey-1)/supp) % supp
	if d == 0 || 2*d%supp == 0 || 3*d%supp == 0 {
		d = supp / 4
	}
	return (partkey+j*d)%supp + 1
}

func writePart(c *csvWriter, s scale) {
	var name [5]int64
	for i := range s.part {
		r := rowRNG(seedPart, i)
		key := i + 1
		b := strconv.AppendInt(c.buf, key, 10)
		b = append(b, ',')
		for k := range name {
		again:
			name[k] = r.intn(int64(len(colors)))
			for _, prev := range name[:k] {
				if prev == name[k] {
					goto again
				}
			}
			if k > 0 {
				b = append(b, ' ')
			}
			b = append(b, colors[name[k]]...)
		}
		m := r.between(1, 5)
		b = append(b, ",Manufacturer#"...)
		b = strconv.AppendInt(b, m, 10)
		b = append(b, ",Brand#"...)
		b = strconv.AppendInt(b, m*10+r.between(1, 5), 10)
		b = append(b, ',')
		b = append(b, pick(&r, typeSyl1[:])...)
		b = append(b, ' ')
		b = append(b, pick(&r, typeSyl2[:])...)
		b = append(b, ' ')
		b = append(b, pick(&r, typeSyl3[:])...)
		b = append(b, ',')
		b = strconv.AppendInt(b, r.between(1, 50), 10)
		b = append(b, ',')
		b = append(b, pick(&r, containerSyl1[:])...)
		b = append(b, ' ')
		b = append(b, pick(&r, containerSyl2[:])...)
		b = append(b, ',')
		b = appendCents(b, retailPrice(key))
		b = append(b, ',')
		c.buf = appendField(b, drawText(&r, 5, 22))
		if !c.endRow() {
			return
		}
	}
}

func writePartsupp(c *csvWriter, s scale) {
	for i := range s.part {
		key := i + 1
		for j := range int64(4) {
			r := rowRNG(seedPartsupp, i*4+j)
			b := strconv.AppendInt(c.buf, key, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, partSupplier(key, j, s.supp), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, r.between(1, 9_999), 10)
			b = append(b, ',')
			b = appendCents(b, r.between(100, 100_000))
			b = append(b, ',')
			c.buf = appendField(b, drawText(&r, 49, 198))
			if !c.endRow() {
				return
			}
		}
	}
}
