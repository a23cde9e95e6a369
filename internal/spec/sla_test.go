package spec

import (
	"strings"
	"testing"
	"time"
)

func TestSLAPeriod(t *testing.T) {
	tests := []struct {
		sp      SLAProperty
		want    Period
		dur     time.Duration
		wantErr string
	}{
		{SLAProperty{Property: "latency", Value: int64(4), Unit: "d"}, Period{4, Day}, 96 * time.Hour, ""},
		{SLAProperty{Property: "frequency", Value: 1.0, Unit: "Days"}, Period{1, Day}, 24 * time.Hour, ""},
		{SLAProperty{Property: "latency", Value: "15", Unit: "m"}, Period{15, Minute}, 15 * time.Minute, ""},
		{SLAProperty{Property: "latency", Value: 15, Unit: "min"}, Period{15, Minute}, 15 * time.Minute, ""},
		{SLAProperty{Property: "retention", Value: 6.0, Unit: "m"}, Period{6, Month}, 180 * 24 * time.Hour, ""},
		{SLAProperty{Property: "Retention", Value: 6.0, Unit: "M"}, Period{6, Month}, 180 * 24 * time.Hour, ""},
		{SLAProperty{Property: "frequency", Value: 2.0, Unit: "M"}, Period{2, Month}, 60 * 24 * time.Hour, ""},
		{SLAProperty{Property: "frequency", Value: 1.5, Unit: "h"}, Period{1.5, Hour}, 90 * time.Minute, ""},
		{SLAProperty{Property: "latency", Value: 30.0, Unit: "s"}, Period{30, Second}, 30 * time.Second, ""},
		{SLAProperty{Property: "frequency", Value: 1.0, Unit: " w "}, Period{1, Week}, 7 * 24 * time.Hour, ""},
		{SLAProperty{Property: "retention", Value: 7.0, Unit: "yr"}, Period{7, Year}, 7 * 365 * 24 * time.Hour, ""},
		{SLAProperty{Property: "latency", Value: 1.0}, Period{}, 0, "a unit is required"},
		{SLAProperty{Property: "latency", Value: 1.0, Unit: "fortnights"}, Period{}, 0, `unit "fortnights" is not known`},
		{SLAProperty{Property: "latency", Value: "soon", Unit: "d"}, Period{}, 0, `value "soon" is not a number`},
		{SLAProperty{Property: "latency", Value: true, Unit: "d"}, Period{}, 0, "is not a number"},
		{SLAProperty{Property: "latency", Value: nil, Unit: "d"}, Period{}, 0, "is not a number"},
		{SLAProperty{Property: "latency", Value: 0.0, Unit: "d"}, Period{}, 0, "must be above 0"},
		{SLAProperty{Property: "latency", Value: -1.0, Unit: "d"}, Period{}, 0, "must be above 0"},
		{SLAProperty{Property: "latency", Value: 1e9, Unit: "d"}, Period{}, 0, "at most 100000"},
		{SLAProperty{Property: "latency", Value: "NaN", Unit: "d"}, Period{}, 0, "must be above 0"},
	}
	for _, tt := range tests {
		t.Run(tt.sp.Property+"/"+tt.sp.Unit, func(t *testing.T) {
			got, err := tt.sp.Period()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Period(%+v) error = %v, want %q", tt.sp, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Period(%+v) error = %v", tt.sp, err)
			}
			if got != tt.want {
				t.Errorf("Period(%+v) = %v, want %v", tt.sp, got, tt.want)
			}
			if d := got.Duration(); d != tt.dur {
				t.Errorf("Period(%+v).Duration() = %v, want %v", tt.sp, d, tt.dur)
			}
		})
	}
}

func TestSLAElements(t *testing.T) {
	got := SLAProperty{Element: " tab1.txn_ref_dt, ,tab2 "}.Elements()
	if len(got) != 2 || got[0] != "tab1.txn_ref_dt" || got[1] != "tab2" {
		t.Errorf("Elements() = %q, want [tab1.txn_ref_dt tab2]", got)
	}
}

// FuzzSLA checks that Period never panics, and that what it accepts is a
// positive, bounded period whose duration does not overflow.
func FuzzSLA(f *testing.F) {
	for _, s := range [][3]string{{"latency", "4", "d"}, {"retention", "3", "m"}, {"frequency", "1.5", "M"},
		{"latency", "x", "h"}, {"latency", "1e300", "y"}, {"latency", "-0", "s"}, {"frequency", "100000", "y"}, {"frequency", "1", "fortnight"}} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, prop, value, unit string) {
		p, err := SLAProperty{Property: prop, Value: value, Unit: unit}.Period()
		if err != nil {
			return
		}
		if !(p.N > 0 && p.N <= MaxPeriod) {
			t.Fatalf("Period(%q, %q) = %v: out of range", value, unit, p)
		}
		if d := p.Duration(); d <= 0 && p.N >= 1 {
			t.Fatalf("Period(%q, %q).Duration() = %v, want > 0", value, unit, d)
		}
		_ = p.String()
	})
}
