package tpch

import "strconv"

// order is one generated order with its lines. orders and lineitem are both
// written from genOrder, so they always agree (o_totalprice, o_orderstatus).
type order struct {
	key, cust, clerk int64
	total            int64 // cents
	date             int32
	prio             uint8
	status           byte
	comment          []byte
	n                int
	lines            [7]lineItem
}

type lineItem struct {
	part, supp, qty, ext, disc, tax int64 // money in cents, disc and tax in percent
	ship, commit, receipt           int32
	returnFlag, lineStatus          byte
	instr, mode                     uint8
	comment                         []byte
}

// orderKey returns the sparse o_orderkey of order row i: only the first 8 of
// every 32 keys are used (clause 4.2.3).
func orderKey(i int64) int64 { return (i/8)*32 + i%8 + 1 }

// customerKey maps k in [0, cust - cust/3) to the k-th custkey that is not a
// multiple of 3: a third of the customers never order (clause 4.2.3).
func customerKey(k int64) int64 { return (k/2)*3 + k%2 + 1 }

// genOrder fills o with order row i. The number of lines is the first draw
// (see lineitemCount).
func genOrder(o *order, s scale, i int64) {
	r := rowRNG(seedOrders, i)
	o.n = int(r.between(1, 7))
	o.key = orderKey(i)
	o.cust = customerKey(r.intn(s.cust - s.cust/3))
	o.date = int32(r.intn(int64(lastOrder) + 1))
	o.prio = uint8(r.intn(int64(len(priorities))))
	o.clerk = r.between(1, s.clerk)
	o.comment = drawText(&r, 19, 78)
	var total int64
	var open, shipped int
	for j := range o.n {
		l := &o.lines[j]
		l.part = r.between(1, s.part)
		l.supp = partSupplier(l.part, r.intn(4), s.supp)
		l.qty = r.between(1, 50)
		l.ext = l.qty * retailPrice(l.part)
		l.disc = r.between(0, 10)
		l.tax = r.between(0, 8)
		l.ship = o.date + int32(r.between(1, 121))
		l.commit = o.date + int32(r.between(30, 90))
		l.receipt = l.ship + int32(r.between(1, 30))
		flag := r.intn(2)
		switch {
		case l.receipt > currentDate:
			l.returnFlag = 'N'
		case flag == 0:
			l.returnFlag = 'R'
		default:
			l.returnFlag = 'A'
		}
		if l.ship > currentDate {
			l.lineStatus = 'O'
			open++
		} else {
			l.lineStatus = 'F'
			shipped++
		}
		l.instr = uint8(r.intn(int64(len(instructions))))
		l.mode = uint8(r.intn(int64(len(shipModes))))
		l.comment = drawText(&r, 10, 43)
		// ext * (1+tax) * (1-disc), rounded half up to cents.
		total += (l.ext*(100+l.tax)*(100-l.disc) + 5_000) / 10_000
	}
	o.total = total
	switch {
	case open == 0:
		o.status = 'F'
	case shipped == 0:
		o.status = 'O'
	default:
		o.status = 'P'
	}
}

func writeOrders(c *csvWriter, s scale) {
	var o order
	for i := range s.ord {
		genOrder(&o, s, i)
		b := strconv.AppendInt(c.buf, o.key, 10)
		b = append(b, ',')
		b = strconv.AppendInt(b, o.cust, 10)
		b = append(b, ',', o.status, ',')
		b = appendCents(b, o.total)
		b = append(b, ',')
		b = appendDate(b, o.date)
		b = append(b, ',')
		b = append(b, priorities[o.prio]...)
		b = append(b, ",Clerk#"...)
		b = appendPad(b, o.clerk, 9)
		b = append(b, ",0,"...)
		c.buf = appendField(b, o.comment)
		if !c.endRow() {
			return
		}
	}
}

func writeLineitem(c *csvWriter, s scale) {
	var o order
	for i := range s.ord {
		genOrder(&o, s, i)
		for j := range o.n {
			l := &o.lines[j]
			b := strconv.AppendInt(c.buf, o.key, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, l.part, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, l.supp, 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, int64(j+1), 10)
			b = append(b, ',')
			b = strconv.AppendInt(b, l.qty, 10)
			b = append(b, ".00,"...)
			b = appendCents(b, l.ext)
			b = append(b, ',')
			b = appendCents(b, l.disc)
			b = append(b, ',')
			b = appendCents(b, l.tax)
			b = append(b, ',', l.returnFlag, ',', l.lineStatus, ',')
			b = appendDate(b, l.ship)
			b = append(b, ',')
			b = appendDate(b, l.commit)
			b = append(b, ',')
			b = appendDate(b, l.receipt)
			b = append(b, ',')
			b = append(b, instructions[l.instr]...)
			b = append(b, ',')
			b = append(b, shipModes[l.mode]...)
			b = append(b, ',')
			c.buf = appendField(b, l.comment)
			if !c.endRow() {
				return
			}
		}
	}
}
