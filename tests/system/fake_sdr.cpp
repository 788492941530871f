// SPDX-License-Identifier: MIT
//
// Test tool: a SoapySDR module whose device plays a ci16 recording made by
// solar-gen in real time, as gpsfake plays NMEA to gpsd. It lets the solar
// reference's SoapySDR input (src/refclock/solar.c: open_soapy, read_soapy)
// run end to end through the real libSoapySDR without a receiver attached
// (test_solar_soapy.sh). Loaded from SOAPY_SDR_PLUGIN_PATH; a test tool only,
// never installed.
//
//   driver=bftime-fake,file=PATH,start=NS,every=NS,capture=N,count=K,rate=HZ
//
// The recording holds K captures of N samples; capture k's first sample
// is the station's clock's reading start + k * every (its clock may be off
// true time: that is the offset the test recovers). The device delivers
// sample j of a capture when CLOCK_REALTIME reaches that reading + j / rate,
// as an ADC whose sampling clock is the station's, and starts a stream at
// the sample under the moment it is activated. Outside a capture it has
// nothing to give: readStream fails (SOAPY_SDR_STREAM_ERROR), as a receiver
// that lost samples would. Rates other than the recording's are refused.
#include <SoapySDR/Device.hpp>
#include <SoapySDR/Errors.hpp>
#include <SoapySDR/Formats.hpp>
#include <SoapySDR/Registry.hpp>
#include <SoapySDR/Version.hpp>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

long long arg_ll(const SoapySDR::Kwargs &a, const char *k)
{
	auto it = a.find(k);
	if (it == a.end())
		throw std::runtime_error(std::string("bftime-fake: argument ") + k + " missing");
	return std::stoll(it->second);
}

long long now_ns()
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

class FakeSdr : public SoapySDR::Device {
public:
	explicit FakeSdr(const SoapySDR::Kwargs &a)
	    : start_(arg_ll(a, "start")), every_(arg_ll(a, "every")), capture_((size_t)arg_ll(a, "capture")),
	      count_((size_t)arg_ll(a, "count")), rate_((double)arg_ll(a, "rate"))
	{
		auto it = a.find("file");
		if (it == a.end())
			throw std::runtime_error("bftime-fake: argument file missing");
		if (every_ <= 0 || capture_ == 0 || count_ == 0 || !(rate_ > 0) ||
		    (double)capture_ / rate_ * 1e9 >= (double)every_)
			throw std::runtime_error("bftime-fake: bad start, every, capture, count or rate");
		FILE *f = std::fopen(it->second.c_str(), "rb");
		if (!f)
			throw std::runtime_error("bftime-fake: cannot open " + it->second);
		samples_.resize(2 * capture_ * count_);
		size_t got = std::fread(samples_.data(), sizeof(int16_t), samples_.size(), f);
		std::fclose(f);
		if (got != samples_.size())
			throw std::runtime_error("bftime-fake: " + it->second + " is shorter than count * capture samples");
	}

	std::string getDriverKey() const override { return "bftime-fake"; }
	std::string getHardwareKey() const override { return "bftime-fake"; }
	size_t getNumChannels(const int dir) const override { return dir == SOAPY_SDR_RX ? 1 : 0; }

	std::vector<std::string> getStreamFormats(const int, const size_t) const override { return { SOAPY_SDR_CF32 }; }
	std::string getNativeStreamFormat(const int, const size_t, double &full) const override
	{
		full = 1.0;
		return SOAPY_SDR_CF32;
	}

	void setSampleRate(const int, const size_t, const double rate) override
	{
		if (rate != rate_)
			throw std::runtime_error("bftime-fake: the recording's rate is " + std::to_string(rate_));
	}
	double getSampleRate(const int, const size_t) const override { return rate_; }
	void setFrequency(const int, const size_t, const double f, const SoapySDR::Kwargs &) override { freq_ = f; }
	double getFrequency(const int, const size_t) const override { return freq_; }
	void setGain(const int, const size_t, const double g) override { gain_ = g; }
	double getGain(const int, const size_t) const override { return gain_; }

	SoapySDR::Stream *setupStream(const int dir, const std::string &format, const std::vector<size_t> &ch,
				      const SoapySDR::Kwargs &) override
	{
		if (dir != SOAPY_SDR_RX || format != SOAPY_SDR_CF32 || (ch.size() > 1) || (ch.size() == 1 && ch[0] != 0))
			throw std::runtime_error("bftime-fake: one RX channel, CF32");
		return reinterpret_cast<SoapySDR::Stream *>(this);
	}
	void closeStream(SoapySDR::Stream *) override {}

	// The stream starts at the sample under now: in the capture now falls
	// in, or at the next one's start if that is at most 1 ms away (a
	// station clock a little ahead of ours); otherwise nothing to give.
	int activateStream(SoapySDR::Stream *, const int, const long long, const size_t) override
	{
		long long t = now_ns(), rel = t - start_;
		long long k = rel / every_ - (rel % every_ < 0 ? 1 : 0); // floor
		if (t - (start_ + k * every_) >= dur_ns(capture_))
			k = start_ + (k + 1) * every_ - t <= 1000000 ? k + 1 : -1;
		cap_ = k;
		if (k < 0 || (size_t)k >= count_) {
			cap_ = -1;
			return 0; // readStream says so
		}
		long long c0 = start_ + k * every_;
		pos_ = t <= c0 ? 0 : (size_t)std::ceil((double)(t - c0) * rate_ / 1e9);
		return 0;
	}
	int deactivateStream(SoapySDR::Stream *, const int, const long long) override
	{
		pos_ = capture_;
		return 0;
	}

	// Up to 4096 samples a call (a USB transfer's worth), each returned once
	// CLOCK_REALTIME has passed it.
	int readStream(SoapySDR::Stream *, void *const *buffs, const size_t n_elems, int &flags, long long &time_ns,
		       const long timeout_us) override
	{
		flags = 0;
		time_ns = 0;
		if (cap_ < 0 || (size_t)cap_ >= count_ || pos_ >= capture_)
			return SOAPY_SDR_STREAM_ERROR;
		size_t n = std::min({ n_elems, capture_ - pos_, (size_t)4096 });
		long long due = start_ + cap_ * every_ + dur_ns(pos_ + n);
		if (due - now_ns() > (long long)timeout_us * 1000)
			return SOAPY_SDR_TIMEOUT;
		struct timespec ts = { (time_t)(due / 1000000000LL), (long)(due % 1000000000LL) };
		while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, nullptr) == EINTR) {
		}
		float *out = static_cast<float *>(buffs[0]);
		const int16_t *in = samples_.data() + 2 * ((size_t)cap_ * capture_ + pos_);
		for (size_t i = 0; i < 2 * n; i++)
			out[i] = (float)in[i] / 32768.0f;
		pos_ += n;
		return (int)n;
	}

private:
	long long dur_ns(size_t samples) const { return (long long)std::llround((double)samples * 1e9 / rate_); }

	long long start_, every_;
	size_t capture_, count_;
	double rate_, freq_ = 0, gain_ = 0;
	std::vector<int16_t> samples_;
	long long cap_ = -1;
	size_t pos_ = 0;
};

SoapySDR::KwargsList find_fake(const SoapySDR::Kwargs &args)
{
	auto it = args.find("driver");
	if (it == args.end() || it->second != "bftime-fake")
		return {};
	return { args };
}

SoapySDR::Device *make_fake(const SoapySDR::Kwargs &args) { return new FakeSdr(args); }

SoapySDR::Registry register_fake("bftime-fake", &find_fake, &make_fake, SOAPY_SDR_ABI_VERSION);

} // namespace
