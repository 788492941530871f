/* SPDX-License-Identifier: MIT */
/*
 * NMEA 0183 decoder (nmea.h, docs/gps.md). Two layers: framing (lines,
 * checksum, address field), which rejects with a counted reason, and a
 * reimplementation of the parts of gpsd's NMEA driver that decide the fix
 * time and when a fix is reported. The second layer copies gpsd's behaviour
 * on purpose, quirks included (sentence table order, the cycle-ender
 * heuristic, GGA quality 0 dropping its own report flag), because gpsd's
 * regression captures are our oracle and a daemon that disagrees with gpsd
 * on a real receiver would be hard to debug. It is written from gpsd's
 * documented behaviour (BSD-2-Clause), not copied.
 *
 * Every byte of input is hostile: the line buffer is bounded, fields are
 * parsed with explicit lengths, numbers are parsed by hand with digit limits
 * (no atoi overflow), and arithmetic on times cannot overflow: a date is
 * taken only within BFT_CIVIL_YEAR_MIN..MAX (1900-2200, core/civil.h), checked
 * before it is multiplied out to ns, and anything else is a counted
 * BFT_NMEA_E_TIME, with no time and so no fix.
 */
#include "proto/nmea.h"
#include "core/civil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gpsd's limit for a sentence handed to its NMEA driver, CR LF included:
 * longer ones are dropped there, so they must not move our cycle state. */
#define GPSD_NMEA_MAX 102
#define FLD_MAX 128

/* Days a time-only sentence may run the date on past its month's start (one
 * per midnight seen without an RMC or ZDA): more than the plausible years
 * span, so the cap never holds a plausible date still; it only keeps the
 * counter from overflowing on an endless hostile 23h/00h alternation. */
#define MDAY_MAX (366 * (BFT_CIVIL_YEAR_MAX - BFT_CIVIL_YEAR_MIN + 2))

/* gpsd's mask bits that matter for time and reporting. */
enum {
	M_TIME = 1u << 0,
	M_LATLON = 1u << 1,
	M_MODE = 1u << 2,
	M_REPORT = 1u << 3,
	M_CLEAR = 1u << 4,
	M_ATT = 1u << 5,
	M_ALT = 1u << 6,
	M_STATUS = 1u << 7,
};

enum handler {
	H_NONE = 0, /* known to gpsd, no decoder: ends the table search */
	H_IGNORE,   /* decoded by gpsd but nothing we use (time or mode) */
	H_RMC,
	H_GGA,
	H_GLL,
	H_GNS,
	H_ZDA,
	H_GSA,
	H_GSV,
	H_GBS,
	H_BWC,
	H_HDT,
	H_PSTI,
	H_PGRMZ,
	H_PMGNST,
	H_PTNTHTM,
	H_PSRFEPE,
};

/*
 * gpsd's sentence table, in its order: three-letter names match whatever the
 * talker (so "PGRMC" must come before "RMC" or Garmin's echo would read as
 * RMC), longer ones match the whole address. The index + 1 is the tag the
 * cycle-ender heuristic remembers; nf is the minimum field count.
 */
static const struct phrase {
	const char *name;
	uint8_t nf;
	uint8_t cycle_continue;
	uint8_t handler;
} phrases[] = {
	{ "PGLOR", 2, 0, H_IGNORE }, { "PGRMB", 0, 0, H_NONE }, { "PGRMC", 0, 0, H_NONE },
	{ "PGRME", 7, 0, H_IGNORE }, { "PGRMF", 15, 0, H_IGNORE }, { "PGRMH", 0, 0, H_NONE },
	{ "PGRMI", 0, 0, H_NONE }, { "PGRMM", 2, 0, H_IGNORE }, { "PGRMO", 0, 0, H_NONE },
	{ "PGRMT", 0, 0, H_NONE }, { "PGRMV", 0, 0, H_NONE }, { "PGRMZ", 4, 0, H_PGRMZ },
	{ "AAM", 0, 0, H_NONE }, { "ACCURACY", 1, 1, H_IGNORE }, { "ALM", 0, 0, H_NONE },
	{ "APB", 0, 0, H_NONE }, { "BOD", 0, 0, H_NONE }, { "BWC", 12, 0, H_BWC },
	{ "DBT", 7, 0, H_IGNORE }, { "DPT", 0, 0, H_NONE }, { "DTM", 2, 0, H_IGNORE },
	{ "GBS", 7, 0, H_GBS }, { "GGA", 13, 0, H_GGA }, { "GLC", 0, 0, H_NONE },
	{ "GLL", 7, 1, H_GLL }, { "GNS", 13, 0, H_GNS }, { "GRS", 0, 0, H_NONE },
	{ "GSA", 18, 0, H_GSA }, { "GST", 8, 0, H_IGNORE }, { "GSV", 0, 0, H_GSV },
	{ "HDG", 0, 0, H_IGNORE }, { "HDT", 1, 0, H_HDT }, { "HWBIAS", 0, 0, H_NONE },
	{ "MLA", 0, 0, H_NONE }, { "MSS", 0, 0, H_NONE }, { "MTW", 0, 0, H_NONE },
	{ "MWD", 0, 0, H_IGNORE }, { "MWV", 0, 0, H_IGNORE }, { "OSD", 0, 0, H_NONE },
	{ "PASHR", 3, 0, H_IGNORE }, { "PJLTS", 11, 0, H_NONE }, { "PJLTV", 4, 0, H_NONE },
	{ "PMGNST", 8, 0, H_PMGNST }, { "PMTK", 3, 0, H_IGNORE }, { "PMTK001", 3, 0, H_IGNORE },
	{ "PMTK424", 3, 0, H_IGNORE }, { "PMTK705", 3, 0, H_IGNORE }, { "PMTKCHN", 0, 0, H_NONE },
	{ "PRHS ", 2, 0, H_IGNORE }, { "PRWIZCH", 0, 0, H_NONE }, { "PSRFEPE", 7, 0, H_PSRFEPE },
	{ "PSTI", 2, 0, H_PSTI }, { "PSTM", 0, 0, H_NONE }, { "PTFTTXT", 0, 0, H_NONE },
	{ "PTKM", 0, 0, H_NONE }, { "PTNLRHVR", 0, 0, H_NONE }, { "PTNLRPT", 0, 0, H_NONE },
	{ "PTNLRSVR", 0, 0, H_NONE }, { "PTNLRZD", 0, 0, H_NONE }, { "PTNTA", 8, 0, H_IGNORE },
	{ "PTNTHTM", 9, 0, H_PTNTHTM }, { "PUBX", 0, 0, H_NONE }, { "RLM", 0, 0, H_NONE },
	{ "RMB", 0, 0, H_NONE }, { "RMC", 8, 0, H_RMC }, { "ROT", 0, 0, H_NONE },
	{ "RPM", 0, 0, H_NONE }, { "RSA", 0, 0, H_NONE }, { "RTE", 0, 0, H_NONE },
	{ "STI", 2, 0, H_IGNORE }, { "THS", 0, 0, H_IGNORE }, { "TXT", 5, 0, H_IGNORE },
	{ "VBW", 0, 0, H_NONE }, { "VDO", 0, 0, H_NONE }, { "VDR", 0, 0, H_NONE },
	{ "VHW", 0, 0, H_NONE }, { "VLW", 0, 0, H_NONE }, { "VTG", 5, 0, H_IGNORE },
	{ "XDR", 0, 0, H_NONE }, { "XTE", 0, 0, H_NONE }, { "ZDA", 4, 0, H_ZDA },
};
#define NPHRASES (sizeof phrases / sizeof phrases[0])

/* gpsd's struct tm of the last sentence time: tm_year is years since 1900
 * (0 = no year seen yet), tm_mon 0-11, tm_mday may run past the month end
 * after a midnight wrap (normalised when converted, as mkgmtime does). */
struct nmea_date {
	int year, mon, mday, hour, min, sec;
	long nsec;
};

struct bft_nmea {
	bft_nmea_config cfg;
	bft_nmea_stats st;
	char line[BFT_NMEA_LINE_MAX + 1];
	size_t len;
	int overlong;
	uint64_t lineno;
	bft_nmea_event q[BFT_NMEA_EVQ];
	int qhead, qn;

	/* the sentence being decoded */
	char fbuf[BFT_NMEA_LINE_MAX + 2];
	char *f[FLD_MAX];
	char empty[1];
	int count;

	/* gpsd emulation: date, cycle detector */
	struct nmea_date date;
	int century;
	int64_t this_frac, last_frac;
	int latch, gsx_more, cycle_continue, reliable;
	unsigned lasttag;
	uint8_t enders[NPHRASES + 1];
	char last_gga_talker, last_gsa_talker, last_gsv_talker;
	char last_gga_ts[16];
	int latch_mode;
	unsigned seen_gsa, seen_gsv; /* talker letters seen, as bits */
	int gsv_part, gsv_await;

	/* this sentence's data (gpsd's newdata) and the merged fix */
	int64_t new_time;
	int new_mode, new_valid;
	double new_lat, new_lon, new_alt;
	bft_nmea_fix fix;
	int last_mode;
	int gga_sats;
	double hdop;

	bft_nmea_sky acc, sky; /* GSV being accumulated, last complete */
	uint16_t used[BFT_NMEA_SATS_MAX];
	int n_used;
	int gsa_seen; /* a GSA was decoded: n_used is a count, not just nothing */
};

static const char *const err_names[BFT_NMEA_E__COUNT] = {
	[BFT_NMEA_E_GARBAGE] = "garbage",
	[BFT_NMEA_E_OVERLONG] = "overlong line",
	[BFT_NMEA_E_CHARS] = "bad character",
	[BFT_NMEA_E_CHECKSUM] = "bad checksum",
	[BFT_NMEA_E_NO_CHECKSUM] = "no checksum",
	[BFT_NMEA_E_TAG] = "bad address field",
	[BFT_NMEA_E_FIELDS] = "too few fields",
	[BFT_NMEA_E_TIME] = "bad time or date",
	[BFT_NMEA_E_POSITION] = "bad position",
};

const char *bft_nmea_err_str(bft_nmea_err e)
{
	return (unsigned)e < BFT_NMEA_E__COUNT ? err_names[e] : "?";
}

/* ---- small helpers ---- */

static int isdig(char c) { return c >= '0' && c <= '9'; }

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* atoi without overflow: leading sign and up to 9 digits count, like gpsd's
 * atoi on every sane input. */
static int num(const char *s)
{
	int neg = 0, v = 0, d = 0;
	while (*s == ' ')
		s++;
	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	for (; isdig(*s) && d < 9; s++, d++)
		v = v * 10 + (*s - '0');
	return neg ? -v : v;
}

/* strtod restricted to [-]digits[.digits]; NAN when there is no digit. */
static double dbl(const char *s)
{
	const char *e = s;
	if (*e == '-' || *e == '+')
		e++;
	if (!isdig(*e) && !(*e == '.' && isdig(e[1])))
		return NAN;
	double v = strtod(s, NULL);
	return isfinite(v) ? v : NAN; /* "1e999" must not print as inf */
}

/* gpsd registers "fractional time" as atof(hhmmss.ss): only equality of
 * successive values matters, so keep it exact, in ns, digits bounded. */
static int64_t frac_ns(const char *s)
{
	int64_t v = 0, scale = 1000000000;
	int d = 0;
	for (; isdig(*s) && d < 9; s++, d++)
		v = v * 10 + (*s - '0');
	v *= scale;
	if (*s == '.')
		for (s++; isdig(*s) && scale > 1; s++) {
			scale /= 10;
			v += (*s - '0') * scale;
		}
	return v;
}

/* The date of day z since the epoch, as ints. */
static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t yy, mm, dd;
	bft_civil_from_days(z, &yy, &mm, &dd);
	*y = (int)yy;
	*m = (int)mm;
	*d = (int)dd;
}

/* ---- public helpers ---- */

uint8_t bft_nmea_checksum(const char *s, size_t len)
{
	uint8_t sum = 0;
	size_t i = 0;
	if (len > 0 && (s[0] == '$' || s[0] == '!'))
		i = 1;
	for (; i < len && s[i] != '*'; i++)
		sum ^= (uint8_t)s[i];
	return sum;
}

long bft_nmea_checked_body(const char *s, size_t len)
{
	const char *star = memchr(s, '*', len);
	if (!star)
		return -2;
	size_t body = (size_t)(star - s);
	if (len - body != 3)
		return -1;
	int hi = hexval(star[1]), lo = hexval(star[2]);
	if (hi < 0 || lo < 0 || bft_nmea_checksum(s, body) != (uint8_t)(hi << 4 | lo))
		return -1;
	return (long)body;
}

int bft_nmea_utc_to_gps(int64_t utc_ns, int leap_s, int *week, int64_t *tow_ns)
{
	const int64_t epoch_ns = BFT_NMEA_GPS_EPOCH_UNIX_S * 1000000000LL;
	if (utc_ns < epoch_ns || utc_ns > INT64_MAX - 1000000000LL * 1000)
		return -1;
	int64_t g = bft_gps_from_utc_ns(utc_ns, leap_s);
	if (g < 0)
		return -1;
	*week = (int)(g / BFT_NMEA_WEEK_NS);
	*tow_ns = g % BFT_NMEA_WEEK_NS;
	return 0;
}

int64_t bft_nmea_gps_to_utc(int week, int64_t tow_ns, int leap_s)
{
	return BFT_NMEA_GPS_EPOCH_UNIX_S * 1000000000LL + (int64_t)week * BFT_NMEA_WEEK_NS + tow_ns -
	       (int64_t)leap_s * 1000000000LL;
}

int bft_nmea_week_unroll(int week10, int ref_week)
{
	week10 &= BFT_NMEA_ROLLOVER_WEEKS - 1;
	int base = ref_week - ref_week % BFT_NMEA_ROLLOVER_WEEKS;
	int best = base + week10;
	/* the candidate within half a rollover period of the reference */
	if (best - ref_week > BFT_NMEA_ROLLOVER_WEEKS / 2)
		best -= BFT_NMEA_ROLLOVER_WEEKS;
	else if (ref_week - best > BFT_NMEA_ROLLOVER_WEEKS / 2)
		best += BFT_NMEA_ROLLOVER_WEEKS;
	return best;
}

void bft_nmea_iso8601(int64_t utc_ns, char *buf, size_t size)
{
	bft_civil_format_rfc3339(buf, size, utc_ns, 3); /* gpsd's form: milliseconds */
}

/* ---- events ---- */

static bft_nmea_event *push(bft_nmea *p, bft_nmea_ev_type type, const char *tag)
{
	/* sized so that one line cannot overflow it; if a caller ignores the
	 * contract and never drains, the oldest events are overwritten */
	if (p->qn == BFT_NMEA_EVQ) {
		p->qhead = (p->qhead + 1) % BFT_NMEA_EVQ;
		p->qn--;
	}
	bft_nmea_event *ev = &p->q[(p->qhead + p->qn++) % BFT_NMEA_EVQ];
	ev->type = type;
	ev->line = p->lineno;
	ev->err = 0;
	snprintf(ev->sentence, sizeof ev->sentence, "%s", tag ? tag : "");
	return ev;
}

static void error(bft_nmea *p, bft_nmea_err e, const char *tag)
{
	p->st.errors[e]++;
	push(p, BFT_NMEA_EV_ERROR, tag)->err = e;
}

int bft_nmea_next(bft_nmea *p, bft_nmea_event *ev)
{
	if (p->qn == 0)
		return 0;
	*ev = p->q[p->qhead];
	p->qhead = (p->qhead + 1) % BFT_NMEA_EVQ;
	p->qn--;
	return 1;
}

const bft_nmea_stats *bft_nmea_get_stats(const bft_nmea *p)
{
	return &p->st;
}

/* ---- lifecycle ---- */

static void clear_fix(bft_nmea_fix *f)
{
	memset(f, 0, sizeof *f);
	f->lat_deg = f->lon_deg = f->alt_m = f->hdop = NAN;
	f->sats_used = -1;
}

bft_nmea *bft_nmea_new(const bft_nmea_config *cfg)
{
	bft_nmea *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	if (cfg)
		p->cfg = *cfg;
	if (p->cfg.century == 0)
		p->cfg.century = 2000;
	if (p->cfg.leap_s == 0)
		p->cfg.leap_s = BFT_NMEA_LEAP_DEFAULT;
	if (p->cfg.wkro_floor_ns == 0)
		p->cfg.wkro_floor_ns = 1483228800LL * 1000000000LL;
	/* year 2200 at most: times stay far from int64 overflow */
	if (p->cfg.wkro_floor_ns > 7258118400LL * 1000000000LL)
		p->cfg.wkro_floor_ns = 7258118400LL * 1000000000LL;
	p->century = p->cfg.century;
	p->new_lat = p->new_lon = p->new_alt = NAN;
	p->hdop = NAN;
	p->gga_sats = -1;
	clear_fix(&p->fix);
	return p;
}

void bft_nmea_free(bft_nmea *p)
{
	free(p);
}

/* ---- gpsd's time fudging ---- */

/* hhmmss[.s...] into the date: six digits required. An hour much smaller
 * than the last one (23 -> 0, at least 12 back) means midnight passed, so a
 * time-only sentence (GGA, GLL) before the next RMC/ZDA gets the new day.
 * gpsd's code moves the day on for any backward hour, but its regression
 * output (bt451: a capture spliced from two sessions, 15h then 14h the same
 * day) shows no wrap there, and a clock going back an hour is a discontinuity,
 * not a new day. */
static int merge_hhmmss(bft_nmea *p, const char *s)
{
	for (int i = 0; i < 6; i++)
		if (!isdig(s[i]))
			return -1;
	int hour = (s[0] - '0') * 10 + (s[1] - '0'), min = (s[2] - '0') * 10 + (s[3] - '0');
	int sec = (s[4] - '0') * 10 + (s[5] - '0');
	/* A time of day out of range is refused (counted E_TIME), not rolled
	 * over into another (found by review: 25:61:99 became 02:02:39 of the
	 * next day, where gpsd's own time text is refused). 60: a leap second. */
	if (hour > 23 || min > 59 || sec > 60)
		return -1;
	int old_hour = p->date.hour;
	p->date.hour = hour;
	if (old_hour - p->date.hour >= 12 && p->date.mday < MDAY_MAX)
		p->date.mday++;
	p->date.min = min;
	p->date.sec = sec;
	p->date.nsec = 0;
	if (s[6] == '.' && isdig(s[7])) {
		size_t sub = strnlen(s + 7, 20);
		/* gpsd: atoi(digits) * 10^(9 - length); more than 9 gives 0 */
		if (sub <= 9) {
			long v = 0, scale = 1;
			const char *c = s + 7;
			for (; isdig(*c); c++)
				v = v * 10 + (*c - '0');
			for (size_t i = sub; i < 9; i++)
				scale *= 10;
			p->date.nsec = v * scale;
		}
	}
	return 0;
}

/* ddmmyy: RMC's 2-digit year takes the current century, which moves on when
 * the year goes from 99 to 00; gpsd also folds 2080 and later back by 100
 * years (receivers that lost the week rollover report 2099 for 1999).
 * gpsd's century has no end: dates alternating 31-12-99 and 01-01-00 raise it
 * by 100 a pair. Here a date whose year falls outside the plausible years is
 * refused, and the century moves on only with a date that is taken, so it
 * stays within one century of them. */
/* Whether day mday exists in month mon (1-12) of year: 31-02 does not,
 * and was rolled over into March. */
static int mday_exists(int64_t year, int mon, int mday)
{
	if (mon < 1 || mon > 12 || mday < 1)
		return 0;
	int64_t days = bft_days_from_civil(mon == 12 ? year + 1 : year, mon == 12 ? 1 : mon + 1, 1) -
	               bft_days_from_civil(year, mon, 1);
	return mday <= days;
}

static int merge_ddmmyy(bft_nmea *p, const char *s)
{
	for (int i = 0; i < 6; i++)
		if (!isdig(s[i]))
			return -1;
	if (s[6] != '\0')
		return -1;
	int yy = (s[4] - '0') * 10 + (s[5] - '0');
	int mon = (s[2] - '0') * 10 + (s[3] - '0');
	int mday = (s[0] - '0') * 10 + (s[1] - '0');
	int64_t century = p->century; /* int64: a configured century may be anything */
	if (p->date.year % 100 == 99 && yy == 0)
		century += 100;
	int64_t year = century + yy;
	if (year >= 2080)
		year -= 100;
	if (year < BFT_CIVIL_YEAR_MIN || year > BFT_CIVIL_YEAR_MAX || !mday_exists(year, mon, mday))
		return -1;
	p->century = (int)century;
	p->date.year = (int)year - 1900;
	p->date.mon = mon - 1;
	p->date.mday = mday;
	return 0;
}

static void register_frac(bft_nmea *p, const char *s)
{
	if (s[0] != '\0') {
		p->last_frac = p->this_frac;
		p->this_frac = frac_ns(s);
		p->latch = 1;
	}
}

/* Whether day z since 1970 lies in the plausible years (core/civil.h). */
static int plausible_day(int64_t z)
{
	return z >= bft_days_from_civil(BFT_CIVIL_YEAR_MIN, 1, 1) &&
	       z < bft_days_from_civil(BFT_CIVIL_YEAR_MAX + 1, 1, 1);
}

/* The date's time in ns, or -1 for a day outside the plausible years (a day
 * run on past 2200 by midnights): checked before the product, which would
 * overflow int64 past 2262. */
static int date_ns(const struct nmea_date *d, int64_t *t_ns)
{
	int64_t days = bft_days_from_civil(1900 + (int64_t)d->year, d->mon + 1, 1) + d->mday - 1;
	if (!plausible_day(days))
		return -1;
	int64_t s = days * 86400 + d->hour * 3600 + d->min * 60 + d->sec;
	*t_ns = s * 1000000000LL + d->nsec;
	return 0;
}

/* The time of the date, or -1 when it is not plausible: with
 * BFT_NMEA_WKRO_FIX, a receiver that lost a GPS week rollover (1024 weeks,
 * 19.6 years) is moved forward, as gpsd does when it knows the leap-second
 * count is newer than the date; a date moved past the plausible years is
 * refused like any other. */
static int utc_resolve(bft_nmea *p, int64_t *t_ns)
{
	int64_t t;
	if (date_ns(&p->date, &t) != 0)
		return -1;
	if ((p->cfg.flags & BFT_NMEA_WKRO_FIX) && t < p->cfg.wkro_floor_ns && t > 0) {
		/* the floor is clamped at construction, so this cannot overflow */
		const int64_t period = (int64_t)BFT_NMEA_ROLLOVER_WEEKS * BFT_NMEA_WEEK_NS;
		t += (p->cfg.wkro_floor_ns - t + period - 1) / period * period;
		if (!plausible_day(t / 1000000000LL / 86400))
			return -1;
		int64_t s = t / 1000000000LL;
		civil_from_days(s / 86400, &p->date.year, &p->date.mon, &p->date.mday);
		p->date.year -= 1900;
		p->date.mon -= 1;
		p->date.hour = (int)(s % 86400 / 3600);
		p->date.min = (int)(s % 3600 / 60);
		p->date.sec = (int)(s % 60);
	}
	*t_ns = t;
	return 0;
}

/* ---- field decoding ---- */

/* gpsd: integer part must be followed by '.'; DDDMM.mmm to degrees. */
static double latlon1(const char *s)
{
	const char *c = s;
	long v = 0;
	int d = 0, neg = 0;
	if (*c == '-' || *c == '+')
		neg = *c++ == '-';
	for (; isdig(*c) && d < 9; c++, d++)
		v = v * 10 + (*c - '0');
	if (*c != '.')
		return NAN;
	if (neg)
		v = -v;
	long deg = v / 100;
	double minutes = (double)(v - deg * 100) + dbl(c);
	if (isnan(minutes))
		minutes = (double)(v - deg * 100);
	return deg + minutes / 60.0;
}

static int lat_lon(bft_nmea *p, char **f)
{
	if (!f[0][0] || !f[1][0] || !f[2][0] || !f[3][0])
		return 1;
	double lat = latlon1(f[0]), lon = latlon1(f[2]);
	if (!isfinite(lat) || !isfinite(lon) || fabs(lat) > 90 || fabs(lon) > 180) {
		error(p, BFT_NMEA_E_POSITION, p->f[0]);
		return 2;
	}
	p->new_lat = f[1][0] == 'S' ? -lat : lat;
	p->new_lon = f[3][0] == 'W' ? -lon : lon;
	return 0;
}

static int talker_bit(char c)
{
	return c >= 'A' && c <= 'Z' ? 1 << (c - 'A') : 0;
}

/* One numbering for GSA and GSV so that "used" can be matched: GLONASS,
 * Galileo, BeiDou and QZSS numbers 1-32 are moved to their NMEA 2.x ranges
 * by talker, as gpsd does. */
static int prn_of(const char *talker, int n)
{
	if (n < 1 || n > 999)
		return 0;
	if (n > 32)
		return n;
	if (talker[0] == 'G' && talker[1] == 'L')
		return 64 + n;
	if (talker[0] == 'G' && talker[1] == 'A')
		return 300 + n;
	if ((talker[0] == 'G' && talker[1] == 'B') || (talker[0] == 'B' && talker[1] == 'D') ||
	    (talker[0] == 'P' && talker[1] == 'Q'))
		return 400 + n;
	if ((talker[0] == 'G' && talker[1] == 'Q') || (talker[0] == 'Q' && talker[1] == 'Z'))
		return 192 + n;
	return n;
}

/* The constellation a talker names, for telling satellites apart: GP and GN
 * use one numbering (NMEA 2.x ranges), the system talkers their own. */
static char sat_system(const char *talker)
{
	if (talker[0] == 'G' && (talker[1] == 'P' || talker[1] == 'N'))
		return 'P';
	if (talker[0] == 'B' && talker[1] == 'D')
		return 'B';
	if ((talker[0] == 'Q' && talker[1] == 'Z') || (talker[0] == 'G' && talker[1] == 'Q'))
		return 'Q';
	if (talker[0] == 'P' && talker[1] == 'Q')
		return 'B';
	return talker[1];
}

static void time_error(bft_nmea *p, const char *s)
{
	if (s[0] != '\0')
		error(p, BFT_NMEA_E_TIME, p->f[0]);
}

/* ---- sentences (masks as gpsd computes them) ---- */

static unsigned do_rmc(bft_nmea *p, char **f, int count)
{
	unsigned mask = 0;
	char status = f[2][0];
	if (status != 'A' && status != 'D') {
		p->new_mode = BFT_NMEA_MODE_NO_FIX;
		p->new_valid = 0;
		if (!f[1][0] || !f[9][0]) {
			/* no time at all: gpsd forgets the date, stops trusting
			 * its cycle detector and reports at once */
			memset(&p->date, 0, sizeof p->date);
			p->reliable = 0;
			mask |= M_REPORT | M_TIME;
		}
		return mask | M_STATUS | M_MODE;
	}
	if (f[1][0] && count > 9 && f[9][0]) {
		int bad = merge_hhmmss(p, f[1]) != 0;
		bad = bad || merge_ddmmyy(p, f[9]) != 0;
		if (!bad) {
			mask |= M_TIME;
			register_frac(p, f[1]);
		} else {
			error(p, BFT_NMEA_E_TIME, f[0]);
		}
	}
	if (lat_lon(p, &f[3]) == 0) {
		mask |= M_LATLON;
		p->new_mode = p->last_mode == BFT_NMEA_MODE_3D ? BFT_NMEA_MODE_3D : BFT_NMEA_MODE_2D;
		p->new_valid = 1;
	} else {
		p->new_mode = BFT_NMEA_MODE_NO_FIX;
		p->new_valid = 0;
	}
	return mask | M_MODE | M_STATUS;
}

static unsigned do_gga(bft_nmea *p, char **f)
{
	unsigned mask = 0;
	char last_last = p->last_gga_talker;
	p->last_gga_talker = f[0][1];
	int quality = f[6][0] ? num(f[6]) : -1;
	if (quality == 0 && !f[1][0]) {
		memset(&p->date, 0, sizeof p->date);
		p->reliable = 0;
		/* gpsd sets report + time here, then overwrites the mask with
		 * its status bit: only the side effects above survive */
	}
	if (quality >= 0 && quality <= 8) {
		p->new_valid = quality > 0;
		mask = M_STATUS;
	}
	if (last_last != '\0' && last_last != p->last_gga_talker)
		p->latch_mode = 0;
	else
		p->latch_mode = strncmp(f[1], p->last_gga_ts, sizeof p->last_gga_ts) == 0;
	if (p->latch_mode) {
		/* timestamp did not advance: the receiver lost lock */
		p->new_valid = 0;
		p->new_mode = BFT_NMEA_MODE_NO_FIX;
		mask |= M_MODE | M_STATUS;
	} else {
		snprintf(p->last_gga_ts, sizeof p->last_gga_ts, "%s", f[1]);
	}
	int sats = num(f[7]);
	if (f[7][0])
		p->gga_sats = sats;
	if (f[1][0]) {
		if (merge_hhmmss(p, f[1]) == 0) {
			register_frac(p, f[1]);
			if (p->date.year != 0)
				mask |= M_TIME;
		} else {
			time_error(p, f[1]);
		}
	}
	if (lat_lon(p, &f[2]) == 0) {
		p->new_mode = BFT_NMEA_MODE_2D;
		mask |= M_LATLON;
		if (f[9][0]) {
			p->new_alt = dbl(f[9]);
			mask |= M_ALT;
			if (sats >= 4)
				p->new_mode = BFT_NMEA_MODE_3D;
		}
		if (sats < 3)
			p->new_mode = BFT_NMEA_MODE_NO_FIX;
	} else {
		p->new_mode = BFT_NMEA_MODE_NO_FIX;
	}
	if (f[8][0]) {
		double h = dbl(f[8]);
		if (h < 99.0)
			p->hdop = h;
	}
	return mask | M_MODE;
}

/* GLL, GNS, PSRFEPE, BWC: time of day only, so a date must be known. */
static unsigned time_only(bft_nmea *p, const char *hhmmss, int reg)
{
	if (!hhmmss[0])
		return 0;
	if (merge_hhmmss(p, hhmmss) != 0) {
		time_error(p, hhmmss);
		return 0;
	}
	if (reg)
		register_frac(p, hhmmss);
	return p->date.year != 0 ? M_TIME : 0;
}

static unsigned do_gll(bft_nmea *p, char **f, int count)
{
	unsigned mask = time_only(p, f[5], 1);
	if (f[6][0] == 'A' && (count < 8 || f[7][0] != 'N') && lat_lon(p, &f[1]) == 0) {
		mask |= M_LATLON;
		p->new_valid = 1;
		if (!isnan(p->fix.alt_m) || p->gga_sats > 3)
			p->new_mode = BFT_NMEA_MODE_3D;
		else if (p->fix.mode < BFT_NMEA_MODE_2D)
			p->new_mode = BFT_NMEA_MODE_2D;
	} else {
		p->new_valid = 0;
		p->new_mode = BFT_NMEA_MODE_NO_FIX;
	}
	return mask | M_STATUS | M_MODE;
}

static unsigned do_gns(bft_nmea *p, char **f)
{
	unsigned mask = time_only(p, f[1], 1);
	if (!f[6][0] || f[6][0] == 'N') {
		p->new_mode = BFT_NMEA_MODE_NO_FIX;
		p->new_valid = 0;
		return mask | M_MODE;
	}
	if (f[13][0] == 'U' || f[13][0] == 'V')
		return mask;
	int sats = num(f[7]);
	if (lat_lon(p, &f[2]) == 0) {
		mask |= M_LATLON;
		p->new_valid = 1;
		p->new_mode = BFT_NMEA_MODE_2D;
		if (f[9][0]) {
			p->new_alt = dbl(f[9]);
			if (isfinite(p->new_alt)) {
				mask |= M_ALT;
				if (sats > 3)
					p->new_mode = BFT_NMEA_MODE_3D;
			}
		}
	} else {
		p->new_mode = BFT_NMEA_MODE_NO_FIX;
	}
	if (f[8][0])
		p->hdop = dbl(f[8]);
	return mask | M_MODE | M_STATUS;
}

/* ZDA carries a 4-digit year and sets the century; gpsd keeps it out of the
 * cycle detector (no fractional time) because some receivers send it only
 * with a fix. */
static unsigned do_zda(bft_nmea *p, char **f)
{
	if (!f[1][0] || !f[2][0] || !f[3][0] || !f[4][0])
		return 0;
	if (merge_hhmmss(p, f[1]) != 0) {
		time_error(p, f[1]);
		return 0;
	}
	int year = num(f[4]), mon = num(f[3]), mday = num(f[2]);
	if (year < BFT_CIVIL_YEAR_MIN || year > BFT_CIVIL_YEAR_MAX || !mday_exists(year, mon, mday)) {
		error(p, BFT_NMEA_E_TIME, f[0]);
		return 0;
	}
	/* gpsd's comment says ZDA stays out of the cycle detector, but the
	 * version that made the regression captures registers its time (ac12:
	 * a ZDA a second ahead of RMC ends the cycle and is reported) */
	register_frac(p, f[1]);
	p->century = year - year % 100;
	p->date.year = year - 1900;
	p->date.mon = mon - 1;
	p->date.mday = mday;
	return M_TIME;
}

static unsigned do_gsa(bft_nmea *p, char **f, int count)
{
	unsigned mask = 0;
	char last_last = p->last_gsa_talker;
	char t = f[0][1];
	if (count < 18 || p->latch_mode) {
		/* malformed (i.Trek M3) or after a stale GGA: not trusted */
	} else {
		p->new_mode = num(f[2]);
		if (f[2][0] != 'E')
			mask = M_MODE;
		if (p->new_mode < BFT_NMEA_MODE_NO_FIX || p->new_mode > BFT_NMEA_MODE_3D)
			p->new_mode = BFT_NMEA_MODE_NO_FIX;
		if (count <= 19 && f[16][0]) {
			double h = dbl(f[16]);
			if (h < 99.0)
				p->hdop = h;
		}
		/* a new GSA burst (or the same talker again) starts a new list;
		 * GP then GL/GA/BD, or several GN, accumulate */
		if (p->last_gsa_talker == '\0' || (t == p->last_gsa_talker && t != 'N'))
			p->n_used = 0;
		p->last_gsa_talker = t;
		p->seen_gsa |= talker_bit(t);
		p->gsa_seen = 1;
		/* NMEA 4.10+ adds a system id after the three DOPs: the DOPs
		 * (which have a '.') are then not the last three fields, and
		 * the id says whose numbers the list holds (a GN talker's
		 * Galileo 12 is not GPS 12). */
		int nprn = count - 6;
		const char *numbering = f[0];
		if (count >= 19 && f[count - 1][0] && !strchr(f[count - 1], '.') && strchr(f[count - 4], '.')) {
			static const char *const sys[] = { "", "GP", "GL", "GA", "GB", "GQ", "GI" };
			int id = num(f[count - 1]);
			nprn = count - 7;
			if (id >= 1 && id <= 6)
				numbering = sys[id];
		}
		for (int i = 0; i < nprn && i + 3 < FLD_MAX; i++) {
			int prn = prn_of(numbering, num(f[i + 3]));
			if (prn <= 0 || p->n_used >= BFT_NMEA_SATS_MAX)
				continue;
			/* a GP list and then a GN one naming the same GPS
			 * satellites (gpsdf) still use each once */
			int dup = 0;
			for (int j = 0; j < p->n_used && !dup; j++)
				dup = p->used[j] == prn;
			if (!dup)
				p->used[p->n_used++] = (uint16_t)prn;
		}
	}
	if ((p->seen_gsa & ~talker_bit('P')) && t == 'P')
		mask = 0;
	else if (last_last != 'N' && t == 'N')
		mask = M_MODE;
	return mask;
}

static void sky_stats(bft_nmea_sky *s)
{
	int n = 0, sum = 0, lo = 0, hi = 0;
	for (int i = 0; i < s->n; i++) {
		int v = s->sats[i].snr_db;
		if (v <= 0)
			continue;
		lo = n == 0 || v < lo ? v : lo;
		hi = n == 0 || v > hi ? v : hi;
		sum += v;
		n++;
	}
	s->visible = s->n;
	s->with_snr = n;
	s->snr_min = lo;
	s->snr_max = hi;
	s->snr_mean = n ? (double)sum / n : 0.0;
}

static unsigned do_gsv(bft_nmea *p, char **f, int count)
{
	if (count <= 3 || (count % 4 != 0 && count % 4 != 1)) {
		memset(&p->acc, 0, sizeof p->acc);
		error(p, BFT_NMEA_E_FIELDS, f[0]);
		return 0;
	}
	int sigid = count % 4 == 1 ? num(f[count - 1]) : 0;
	p->gsv_await = num(f[1]);
	p->gsv_part = num(f[2]);
	if (p->gsv_part < 1) {
		memset(&p->acc, 0, sizeof p->acc);
		return 0;
	}
	char t = f[0][1];
	if (p->gsv_part == 1) {
		if (p->last_gsv_talker == '\0' || (t == 'P' && sigid == 0))
			memset(&p->acc, 0, sizeof p->acc);
		p->last_gsv_talker = t;
		p->seen_gsv |= talker_bit(t);
	}
	for (int i = 4; i < count / 4 * 4 && i + 3 < FLD_MAX; i += 4) {
		int n = num(f[i]);
		if (n == 0)
			continue;
		bft_nmea_sat x;
		x.prn = (uint16_t)prn_of(f[0], n);
		x.talker[0] = f[0][0];
		x.talker[1] = f[0][1];
		x.talker[2] = '\0';
		x.elev_deg = (int8_t)(f[i + 1][0] ? (num(f[i + 1]) < -90 || num(f[i + 1]) > 90 ? -1 : num(f[i + 1])) : -1);
		x.az_deg = (int16_t)(f[i + 2][0] ? (num(f[i + 2]) < 0 || num(f[i + 2]) > 359 ? -1 : num(f[i + 2])) : -1);
		x.snr_db = (int8_t)(f[i + 3][0] ? (num(f[i + 3]) < 0 || num(f[i + 3]) > 99 ? -1 : num(f[i + 3])) : -1);
		x.used = 0;
		/* NMEA 4.10+ receivers send one GSV set per signal (L1, L2, L5...):
		 * the same satellite again is one satellite, at its best signal. */
		bft_nmea_sat *s = NULL;
		for (int j = 0; j < p->acc.n; j++)
			if (p->acc.sats[j].prn == x.prn && sat_system(p->acc.sats[j].talker) == sat_system(x.talker)) {
				s = &p->acc.sats[j];
				break;
			}
		if (!s) {
			if (p->acc.n >= BFT_NMEA_SATS_MAX) {
				memset(&p->acc, 0, sizeof p->acc);
				break;
			}
			p->acc.sats[p->acc.n++] = x;
			continue;
		}
		if (x.snr_db > s->snr_db)
			s->snr_db = x.snr_db;
		if (s->elev_deg < 0)
			s->elev_deg = x.elev_deg;
		if (s->az_deg < 0)
			s->az_deg = x.az_deg;
	}
	if (p->gsv_part < p->gsv_await) {
		p->gsx_more = 1;
		return 0;
	}
	p->sky = p->acc;
	sky_stats(&p->sky);
	return 0;
}

static unsigned do_psti(bft_nmea *p, char **f, int count)
{
	unsigned mask = 0;
	switch (num(f[1])) {
	case 30:
		if (count != 16)
			return 0;
		if (f[3][0] == 'V' || f[13][0] == 'N') {
			p->new_mode = BFT_NMEA_MODE_NO_FIX;
			return M_MODE | M_STATUS;
		}
		if (f[3][0] != 'A')
			return 0;
		if (f[2][0] && f[12][0]) {
			if (merge_hhmmss(p, f[2]) == 0 && merge_ddmmyy(p, f[12]) == 0) {
				mask |= M_TIME;
				register_frac(p, f[2]);
			} else {
				error(p, BFT_NMEA_E_TIME, f[0]);
			}
		}
		if (lat_lon(p, &f[4]) == 0) {
			p->new_mode = f[8][0] ? BFT_NMEA_MODE_3D : BFT_NMEA_MODE_2D;
			mask |= M_LATLON | M_MODE;
		}
		return mask | M_STATUS;
	case 32:
		if (count != 16 || strcmp(f[4], "A") != 0)
			return 0;
		break;
	case 35:
		if (count != 16)
			return 0;
		break;
	case 36:
		if (count != 8)
			return 0;
		break;
	default:
		return 0;
	}
	if (f[2][0] && f[3][0]) {
		if (merge_hhmmss(p, f[2]) == 0 && merge_ddmmyy(p, f[3]) == 0) {
			mask |= M_TIME;
			register_frac(p, f[2]);
		} else {
			error(p, BFT_NMEA_E_TIME, f[0]);
		}
	}
	if (num(f[1]) == 36 && f[7][0] == 'R')
		mask |= M_ATT;
	return mask;
}

static unsigned decode(bft_nmea *p, int h, char **f, int count)
{
	switch (h) {
	case H_RMC:
		return do_rmc(p, f, count);
	case H_GGA:
		return do_gga(p, f);
	case H_GLL:
		return do_gll(p, f, count);
	case H_GNS:
		return do_gns(p, f);
	case H_ZDA:
		return do_zda(p, f);
	case H_GSA:
		return do_gsa(p, f, count);
	case H_GSV:
		return do_gsv(p, f, count);
	case H_GBS:
		/* registers its time for the cycle detector, sets none */
		register_frac(p, f[1]);
		return 0;
	case H_BWC:
		return time_only(p, f[1], 0) ? M_TIME : 0;
	case H_PSRFEPE: {
		unsigned m = M_STATUS;
		if (f[1][0] && merge_hhmmss(p, f[1]) == 0) {
			register_frac(p, f[1]);
			if (p->date.year != 0)
				m |= M_TIME;
		}
		return m;
	}
	case H_HDT: {
		double hd = dbl(f[1]);
		return f[1][0] && hd >= 0.0 && hd <= 360.0 ? M_ATT : 0;
	}
	case H_PSTI:
		return do_psti(p, f, count);
	case H_PGRMZ:
		return f[3][0] >= '1' && f[3][0] <= '3' ? (p->new_mode = f[3][0] - '0', M_MODE) : 0;
	case H_PMGNST:
		p->new_mode = f[4][0] == 'T' && (num(f[3]) == 2 || num(f[3]) == 3) ? num(f[3]) : BFT_NMEA_MODE_NO_FIX;
		return M_MODE;
	case H_PTNTHTM:
		return M_ATT;
	default:
		return 0;
	}
}

/* ---- one sentence through gpsd's driver ---- */

static void emit_fix(bft_nmea *p, const char *tag)
{
	bft_nmea_fix *x = &p->fix;
	if (x->time_ns <= 0)
		return;
	x->hdop = p->hdop;
	x->sats_used = p->gga_sats >= 0 ? p->gga_sats : p->gsa_seen ? p->n_used : -1;
	x->sky = p->sky;
	x->sky.used = p->gsa_seen ? p->n_used : -1;
	for (int i = 0; i < x->sky.n; i++) {
		bft_nmea_sat *s = &x->sky.sats[i];
		s->used = 0;
		for (int j = 0; j < p->n_used; j++)
			if (p->used[j] == s->prn && s->snr_db > 0)
				s->used = 1;
	}
	snprintf(x->sentence, sizeof x->sentence, "%s", tag);
	bft_nmea_event *ev = push(p, BFT_NMEA_EV_FIX, tag);
	ev->fix = *x;
	p->st.fixes++;
}

static void run_sentence(bft_nmea *p, const char *body, size_t n, int has_star)
{
	/* gpsd's field split: '*' becomes ',' so the last field counts;
	 * without it the last field is dropped, exactly as gpsd does */
	memcpy(p->fbuf, body, n);
	size_t m = n;
	if (has_star)
		p->fbuf[m++] = ',';
	p->fbuf[m] = '\0';
	p->empty[0] = '\0';
	int count = 0;
	char *c = p->fbuf;
	p->f[0] = c;
	while (count < FLD_MAX - 1) {
		char *comma = strchr(c, ',');
		if (!comma)
			break;
		*comma = '\0';
		c = comma + 1;
		p->f[++count] = c;
	}
	for (int i = count; i < FLD_MAX; i++)
		p->f[i] = p->empty;
	p->count = count;
	char **f = p->f;
	char tag[8];
	snprintf(tag, sizeof tag, "%s", f[0]);

	p->latch = 0;
	p->gsx_more = 0;
	unsigned mask = 0, thistag = 0;
	size_t taglen = strlen(f[0]);
	for (unsigned i = 0; i < NPHRASES; i++) {
		const char *s = f[0];
		if (strlen(phrases[i].name) == 3)
			s = taglen >= 2 ? s + 2 : "";
		if (strcmp(phrases[i].name, s) != 0)
			continue;
		if (phrases[i].handler == H_NONE)
			break;
		if (count < phrases[i].nf) {
			error(p, BFT_NMEA_E_FIELDS, tag);
			break;
		}
		mask = decode(p, phrases[i].handler, f, count);
		p->cycle_continue = phrases[i].cycle_continue;
		thistag = i + 1;
		break;
	}
	if (taglen < 5 || strncmp(f[0] + 2, "GSV", 3) != 0)
		p->last_gsv_talker = '\0';
	if (taglen < 5 || strncmp(f[0] + 2, "GSA", 3) != 0)
		p->last_gsa_talker = '\0';

	if (mask & M_TIME) {
		p->new_time = 0;
		/* an implausible date states no time, so this sentence makes no
		 * fix (emit_fix wants one), and it is counted */
		if ((p->date.year != 0 || p->date.mday != 0) && utc_resolve(p, &p->new_time) != 0)
			error(p, BFT_NMEA_E_TIME, tag);
	}

	/* the end-of-cycle detector: when the time of day changes, the last
	 * timestamped sentence before it becomes a cycle ender for good */
	unsigned lasttag = p->lasttag;
	if (p->gsx_more) {
		/* the middle of a GSV set neither starts nor ends a cycle */
	} else if (p->latch) {
		if (p->this_frac != p->last_frac) {
			mask |= M_CLEAR;
			if (lasttag > 0 && !p->enders[lasttag] && !p->cycle_continue) {
				p->enders[lasttag] = 1;
				p->reliable = 1;
			}
		}
	} else if (p->cycle_continue) {
		/* GLL (or ACCURACY) after the last timestamped sentence
		 * extends the cycle to itself */
		p->enders[lasttag] = 0;
		p->enders[thistag] = 1;
		p->reliable = 1;
	}
	if ((p->latch || p->cycle_continue) && p->enders[thistag] && !p->gsx_more)
		mask |= M_REPORT;
	if (p->latch)
		p->lasttag = thistag;

	/* gpsd_poll + all_reports: clear at cycle start, merge, report */
	if (mask & M_CLEAR) {
		p->last_mode = p->fix.mode;
		clear_fix(&p->fix);
	}
	if (mask & M_TIME)
		p->fix.time_ns = p->new_time;
	if (mask & M_MODE) {
		p->fix.mode = p->new_mode;
		p->fix.valid = p->new_valid;
	}
	if (mask & M_LATLON) {
		p->fix.lat_deg = p->new_lat;
		p->fix.lon_deg = p->new_lon;
	}
	if (mask & M_ALT)
		p->fix.alt_m = p->new_alt;
	if (!p->reliable && (mask & (M_ATT | M_LATLON | M_MODE)))
		mask |= M_REPORT;
	if (mask & M_REPORT)
		emit_fix(p, tag);
}

/* ---- framing ---- */

static int addr_ok(const char *s, size_t n)
{
	/* talker (2) + name (3+), or proprietary P + maker + name; gpsd also
	 * knows "PRHS " with a space */
	if (n < 2 || n > 7)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || isdig(s[i]) || (s[i] == ' ' && i == n - 1)))
			return 0;
	return 1;
}

static void sentence(bft_nmea *p, const char *s, size_t n)
{
	/* s[0] == '$'; n excludes CR/LF */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e) {
			error(p, BFT_NMEA_E_CHARS, NULL);
			return;
		}
	while (n > 1 && s[n - 1] == ' ')
		n--;
	const char *star = memchr(s, '*', n);
	size_t body_end = star ? (size_t)(star - s) : n;
	char tag[8] = "";
	size_t al = 0;
	while (1 + al < body_end && s[1 + al] != ',' && al < sizeof tag - 1)
		tag[al] = s[1 + al], al++;
	tag[al] = '\0';
	if (star) {
		if (bft_nmea_checked_body(s, n) < 0) {
			error(p, BFT_NMEA_E_CHECKSUM, tag);
			return;
		}
	} else if (p->cfg.flags & BFT_NMEA_REQUIRE_CHECKSUM) {
		error(p, BFT_NMEA_E_NO_CHECKSUM, tag);
		return;
	} else {
		p->st.no_checksum++;
	}
	size_t addr_len = 0;
	while (1 + addr_len < body_end && s[1 + addr_len] != ',')
		addr_len++;
	if (!addr_ok(s + 1, addr_len)) {
		error(p, BFT_NMEA_E_TAG, tag);
		return;
	}
	p->st.sentences++;
	push(p, BFT_NMEA_EV_SENTENCE, tag);
	/* gpsd drops sentences longer than its buffer before decoding */
	if (n + 2 > GPSD_NMEA_MAX)
		return;
	run_sentence(p, s + 1, body_end - 1, star != NULL);
}

static void line(bft_nmea *p, char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	if (n == 0)
		return;
	if ((p->cfg.flags & BFT_NMEA_SKIP_COMMENTS) && s[0] == '#')
		return;
	/* A receiver whose buffer overflowed runs sentences together
	 * ("...*1E$GPRMC,...") or cuts one short where the next begins; like
	 * gpsd's lexer, every '$' starts a new sentence. */
	const char *dollar = memchr(s, '$', n);
	if (dollar != s)
		error(p, BFT_NMEA_E_GARBAGE, NULL);
	while (dollar) {
		size_t left = n - (size_t)(dollar - s);
		const char *next = memchr(dollar + 1, '$', left - 1);
		size_t len = next ? (size_t)(next - dollar) : left;
		if (next && !memchr(dollar, '*', len))
			error(p, BFT_NMEA_E_GARBAGE, NULL); /* cut short by the next one */
		else
			sentence(p, dollar, len);
		dollar = next;
	}
}

static void end_line(bft_nmea *p)
{
	p->lineno++;
	p->st.lines++;
	if (p->overlong)
		error(p, BFT_NMEA_E_OVERLONG, NULL);
	else
		line(p, p->line, p->len);
	p->len = 0;
	p->overlong = 0;
}

size_t bft_nmea_feed(bft_nmea *p, const void *buf, size_t len)
{
	const char *b = buf;
	size_t i = 0;
	while (i < len) {
		char c = b[i++];
		if (c == '\n') {
			end_line(p);
			break;
		}
		if (p->len < BFT_NMEA_LINE_MAX)
			p->line[p->len++] = c;
		else
			p->overlong = 1;
	}
	p->st.bytes += i;
	return i;
}

void bft_nmea_flush(bft_nmea *p)
{
	if (p->len > 0 || p->overlong)
		end_line(p);
}
