package spec

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// PeriodUnit is the unit of an SLA period, normalised from the spellings
// ODCS allows.
type PeriodUnit string

// The units of SLA periods.
const (
	Second PeriodUnit = "second"
	Minute PeriodUnit = "minute"
	Hour   PeriodUnit = "hour"
	Day    PeriodUnit = "day"
	Week   PeriodUnit = "week"
	Month  PeriodUnit = "month"
	Year   PeriodUnit = "year"
)

// Period is an SLA property's value with its unit: "4 d", "15 min".
type Period struct {
	N    float64
	Unit PeriodUnit
}

func (p Period) String() string {
	s := strconv.FormatFloat(p.N, 'f', -1, 64) + " " + string(p.Unit)
	if p.N != 1 {
		s += "s"
	}
	return s
}

// Duration is the period as a clock duration (at most ~292 years): months are 30 days and years
// 365, which is what "every month" means to a freshness check. Calendar
// arithmetic (retention cutoffs) should use N and Unit instead.
func (p Period) Duration() time.Duration {
	var u time.Duration
	switch p.Unit {
	case Second:
		u = time.Second
	case Minute:
		u = time.Minute
	case Hour:
		u = time.Hour
	case Day:
		u = 24 * time.Hour
	case Week:
		u = 7 * 24 * time.Hour
	case Month:
		u = 30 * 24 * time.Hour
	default:
		u = 365 * 24 * time.Hour
	}
	// 100,000 years is beyond what a Duration holds (292 years): saturate.
	if d := p.N * float64(u); d < math.MaxInt64 {
		return time.Duration(d)
	}
	return math.MaxInt64
}

// periodUnits maps the unit spellings accepted (matched case-insensitively)
// to a unit. "m" is missing: see Period.
var periodUnits = map[string]PeriodUnit{
	"s": Second, "sec": Second, "secs": Second, "second": Second, "seconds": Second,
	"min": Minute, "mins": Minute, "minute": Minute, "minutes": Minute,
	"h": Hour, "hr": Hour, "hrs": Hour, "hour": Hour, "hours": Hour,
	"d": Day, "day": Day, "days": Day,
	"w": Week, "wk": Week, "wks": Week, "week": Week, "weeks": Week,
	"mo": Month, "mon": Month, "month": Month, "months": Month,
	"y": Year, "yr": Year, "yrs": Year, "year": Year, "years": Year,
}

// MaxPeriod bounds a period: 100,000 of any unit keeps every duration and
// every cutoff date in range.
const MaxPeriod = 100_000

// IsProperty reports whether the property is name, as ODCS spells property
// names in any case ("Retention", "latency").
func (sp SLAProperty) IsProperty(name string) bool {
	return strings.EqualFold(strings.TrimSpace(sp.Property), name)
}

// Period reads the property's value and unit as a period. The value is a
// number (or a numeric string) above 0 and at most MaxPeriod; the unit is
// one of s, min, h, d, w, M, y and their long forms (seconds, minutes,
// hours, days, weeks, months, years; yr, hr, wk, mo also). ODCS leaves "m"
// open: it is a month for a retention period (calendar periods, as ISO 8601
// reads P6M) and a minute otherwise (latency, frequency: clock durations,
// as ISO 8601 reads PT15M); "M" is always a month.
func (sp SLAProperty) Period() (Period, error) {
	unit := strings.TrimSpace(sp.Unit)
	var p Period
	switch {
	case unit == "":
		return p, fmt.Errorf("a unit is required: use s, min, h, d, w, M or y (or seconds, minutes, hours, days, weeks, months, years)")
	case unit == "M":
		p.Unit = Month
	case strings.EqualFold(unit, "m"):
		p.Unit = Minute
		if sp.IsProperty("retention") {
			p.Unit = Month
		}
	default:
		u, ok := periodUnits[strings.ToLower(unit)]
		if !ok {
			return p, fmt.Errorf("unit %q is not known: use s, min, h, d, w, M or y (or seconds, minutes, hours, days, weeks, months, years)", clip(unit, 40))
		}
		p.Unit = u
	}
	var err error
	if p.N, err = periodValue(sp.Value); err != nil {
		return p, err
	}
	return p, nil
}

func periodValue(v any) (float64, error) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, fmt.Errorf("value %q is not a number", clip(x, 40))
		}
	default:
		return 0, fmt.Errorf("value %v is not a number", v)
	}
	if math.IsNaN(f) || f <= 0 || f > MaxPeriod {
		return 0, fmt.Errorf("value %v must be above 0 and at most %d", v, MaxPeriod)
	}
	return f, nil
}

// Elements splits the property's element into the names it scopes it to
// ("tab1.txn_ref_dt, tab2"); none means the whole contract.
func (sp SLAProperty) Elements() []string {
	var out []string
	for el := range strings.SplitSeq(sp.Element, ",") {
		if el = strings.TrimSpace(el); el != "" {
			out = append(out, el)
		}
	}
	return out
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
