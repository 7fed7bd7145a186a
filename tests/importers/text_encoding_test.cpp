#include "importers/text_encoding.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include <cerrno>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "tests/support/iconv_handle.h"

namespace covgap::importers {
namespace {

using test_support::IconvHandle;

// UTF-8 -> `to` with glibc iconv (the legacy bytes a file would hold). Fails the test on error.
std::string Encode(std::string_view utf8, const char* to) {
  IconvHandle cd(iconv_open(to, "UTF-8"));
  if (cd.get() == reinterpret_cast<iconv_t>(-1)) {
    cd.release();
    ADD_FAILURE() << "iconv_open " << to;
    return "";
  }
  std::string in(utf8);
  std::string out(in.size() * 4 + 16, '\0');
  char* inp = in.data();
  std::size_t in_left = in.size();
  char* outp = out.data();
  std::size_t out_left = out.size();
  if (iconv(cd.get(), &inp, &in_left, &outp, &out_left) == static_cast<std::size_t>(-1) ||
      iconv(cd.get(), nullptr, nullptr, &outp, &out_left) == static_cast<std::size_t>(-1)) {
    ADD_FAILURE() << "iconv to " << to << " failed (errno " << errno << ") on " << utf8;
    return "";
  }
  out.resize(out.size() - out_left);
  return out;
}

// VNI bytes written readably: each code point of the UTF-8 literal (all below U+0100) is a byte,
// as a VNI file shown in Windows-1252 looks ("Huyeän" is Huyện).
std::string Vni(std::string_view latin1_shown_as_utf8) {
  std::string out;
  for (std::size_t i = 0; i < latin1_shown_as_utf8.size(); ++i) {
    const auto b = static_cast<unsigned char>(latin1_shown_as_utf8[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
    } else {  // C2/C3 lead byte of U+0080..U+00FF
      const auto next = static_cast<unsigned char>(latin1_shown_as_utf8[++i]);
      out.push_back(static_cast<char>(((b & 0x03) << 6) | (next & 0x3F)));
    }
  }
  return out;
}

const std::vector<std::string> kNames = {
    "Tỉnh Bắc Giang",
    "Huyện Lục Ngạn",
    "Xã Dương Hưu",
    "Trường Tiểu học Cấm Sơn",
    "Thành phố Bắc Giang",
    "Huyện Sơn Động",
    "Ấp Đồng Cháy",
    "ĐỒNG",
    "Ư",
    "Ơ",
    "Hà Nội",
    "Huyện Yên Thế",
    "Xã Đồng Kỳ",
    "Trường THCS Nguyễn Khuyến",
    "ỨNG HÒA, Ý YÊN",
};

// The same names in VNI-Windows, as they look in Windows-1252.
const std::vector<std::string> kNamesVniShown = {
    "Tænh Baéc Giang",
    "Huyeän Luïc Ngaïn",
    "Xaõ Döông Höu",
    "Tröôøng Tieåu hoïc Caám Sôn",
    "Thaønh phoá Baéc Giang",
    "Huyeän Sôn Ñoäng",
    "AÁp Ñoàng Chaùy",
    "ÑOÀNG",
    "Ö",
    "Ô",
    "Haø Noäi",
    "Huyeän Yeân Theá",
    "Xaõ Ñoàng Kyø",
    "Tröôøng THCS Nguyeãn Khuyeán",
    "ÖÙNG HOØA, YÙ YEÂN",
};

struct Legacy {
  Encoding encoding;
  const char* iconv_name;
};
constexpr Legacy kIconvEncodings[] = {
    {Encoding::kCp1258, "CP1258"}, {Encoding::kTcvn3, "TCVN5712-1"}, {Encoding::kViscii, "VISCII"}};

std::vector<std::string> EncodeAll(const std::vector<std::string>& utf8, const char* to) {
  std::vector<std::string> out;
  for (const std::string& s : utf8) out.push_back(Encode(s, to));
  return out;
}

std::vector<std::string> VniAll() {
  std::vector<std::string> out;
  for (const std::string& s : kNamesVniShown) out.push_back(Vni(s));
  return out;
}

bool Contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

// ---------------------------------------------------------------- decoding

TEST(TextEncodingRoundTrip, IconvEncodingsGiveBackTheNfcNames) {
  for (const std::string& name : kNames) {
    ASSERT_EQ(NormalizeNfc(name), name) << "test input must be NFC";
    for (const Legacy& l : kIconvEncodings) {
      const std::string bytes = Encode(name, l.iconv_name);
      ASSERT_FALSE(bytes.empty());
      EXPECT_NE(bytes, name) << l.iconv_name;
      const StatusOr<std::string> back = ToUtf8Nfc(bytes, l.encoding);
      ASSERT_TRUE(back.ok()) << l.iconv_name << ": " << back.status().message();
      EXPECT_EQ(back.value(), name) << l.iconv_name;
    }
  }
}

TEST(TextEncodingRoundTrip, EveryVietnameseLetterInEveryIconvEncoding) {
  const std::string small = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ";
  const std::string capital = "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴ";
  for (const Legacy& l : kIconvEncodings) {
    for (const std::string& letters : {small, capital}) {
      const StatusOr<std::string> back = ToUtf8Nfc(Encode(letters, l.iconv_name), l.encoding);
      ASSERT_TRUE(back.ok()) << l.iconv_name << ": " << back.status().message();
      EXPECT_EQ(back.value(), letters) << l.iconv_name;
    }
  }
}

TEST(TextEncodingRoundTrip, Cp1258DecomposedBytesComeOutPrecomposed) {
  // Windows-1258 writes ộ as ô + combining dot below (0xF4 0xF2).
  EXPECT_EQ(Encode("Nội", "CP1258"), "N\xF4\xF2i");
  EXPECT_EQ(ToUtf8Nfc("N\xF4\xF2i", Encoding::kCp1258).value(), "Nội");
  // A mark as the very last byte, and a mark with nothing to combine with.
  EXPECT_EQ(ToUtf8Nfc("Na\xEC", Encoding::kCp1258).value(), "Ná");
  EXPECT_EQ(ToUtf8Nfc("x\xEC", Encoding::kCp1258).value(), "x\u0301");
  // TCVN3 has combining tone marks too (0xB0..0xB4).
  EXPECT_EQ(ToUtf8Nfc("A\xB3 a\xB0", Encoding::kTcvn3).value(), "Á à");
}

TEST(TextEncodingRoundTrip, VniGivesBackTheNfcNames) {
  ASSERT_EQ(kNames.size(), kNamesVniShown.size());
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    const StatusOr<std::string> back = ToUtf8Nfc(Vni(kNamesVniShown[i]), Encoding::kVni);
    ASSERT_TRUE(back.ok()) << kNamesVniShown[i] << ": " << back.status().message();
    EXPECT_EQ(back.value(), kNames[i]);
  }
}

TEST(TextEncodingVni, EveryLetterForm) {
  const struct {
    const char* shown;
    const char* utf8;
  } kCases[] = {
      {"a aù aø aû aõ aï", "a á à ả ã ạ"},
      {"aâ aá aà aå aã aä", "â ấ ầ ẩ ẫ ậ"},
      {"aê aé aè aú aü aë", "ă ắ ằ ẳ ẵ ặ"},
      {"eâ eá eà eå eã eä oâ oá oà oå oã oä", "ê ế ề ể ễ ệ ô ố ồ ổ ỗ ộ"},
      {"ô ôù ôø ôû ôõ ôï ö öù öø öû öõ öï", "ơ ớ ờ ở ỡ ợ ư ứ ừ ử ữ ự"},
      {"í ì æ ó ò yù yø yû yõ î ñ", "í ì ỉ ĩ ị ý ỳ ỷ ỹ ỵ đ"},
      {"AÙ AÂ AÄ AÊ AË EÅ OÃ ÔÏ ÖØ Í Ì Æ Ó Ò YÕ Î Ñ", "Á Â Ậ Ă Ặ Ể Ỗ Ợ Ừ Í Ì Ỉ Ĩ Ị Ỹ Ỵ Đ"},
      {"Aù Oá", "Á Ố"},  // a small mark after a capital letter: the letter's case wins
  };
  for (const auto& c : kCases) {
    const StatusOr<std::string> got = ToUtf8Nfc(Vni(c.shown), Encoding::kVni);
    ASSERT_TRUE(got.ok()) << c.shown << ": " << got.status().message();
    EXPECT_EQ(got.value(), c.utf8) << c.shown;
  }
}

TEST(TextEncodingVni, RejectsBytesAndMarksVniDoesNotHave) {
  for (const std::string& shown : {std::string("b\u00f9"),        // tone after a consonant
                                   std::string("\u00f9a"),        // tone first
                                   std::string("a\u00f9\u00f8"),  // two tones
                                   std::string("e\u00ea"),        // breve on e
                                   std::string("u\u00e2"),        // circumflex on u
                                   std::string("\u00f1\u00f9"),   // tone on đ
                                   std::string("\u00ed\u00f8"),   // second tone on í
                                   std::string("a\u00ff")}) {     // unused byte
    const StatusOr<std::string> got = ToUtf8Nfc(Vni(shown), Encoding::kVni);
    ASSERT_FALSE(got.ok()) << shown;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(got.status().message(), "VNI")) << got.status().message();
  }
  const StatusOr<std::string> got = ToUtf8Nfc("Ha\x80", Encoding::kVni);
  ASSERT_FALSE(got.ok());
  EXPECT_TRUE(Contains(got.status().message(), "0x80 at offset 2")) << got.status().message();
}

TEST(TextEncodingC0, CapitalsInTheC0RangeAndControlsKept) {
  // TCVN 5712:1993 puts 12 capitals at 0x01 0x02 0x04-0x06 0x11-0x17.
  EXPECT_EQ(Encode("Ú", "TCVN5712-1"), "\x01");
  EXPECT_EQ(Encode("ỨNG", "TCVN5712-1"), "\x11NG");
  EXPECT_EQ(ToUtf8Nfc("\x01\x02\x04\x05\x06\x11\x12\x13\x14\x15\x16\x17", Encoding::kTcvn3).value(),
            "ÚỤỪỬỮỨỰỲỶỸÝỴ");
  // VISCII (RFC 1456) at 0x02 0x05 0x06 0x14 0x19 0x1E.
  EXPECT_EQ(ToUtf8Nfc("\x02\x05\x06\x14\x19\x1E", Encoding::kViscii).value(), "ẲẴẪỶỸỴ");
  // Every other C0 byte is the control character it is, in every encoding.
  const std::string controls(
      "a\tb\nc\r\x03\x1F\x7F"
      "d\0e",
      12);
  for (const Encoding e :
       {Encoding::kUtf8, Encoding::kCp1258, Encoding::kTcvn3, Encoding::kViscii, Encoding::kVni}) {
    EXPECT_EQ(ToUtf8Nfc(controls, e).value(), controls) << ToString(e);
  }
  // CP1258 and VNI have no letters there.
  EXPECT_EQ(ToUtf8Nfc("\x01", Encoding::kCp1258).value(), "\x01");
}

TEST(TextEncodingDecode, InvalidBytesAreInvalidArgument) {
  const StatusOr<std::string> cp = ToUtf8Nfc(
      "Ba\x81"
      "c",
      Encoding::kCp1258);
  ASSERT_FALSE(cp.ok());
  EXPECT_EQ(cp.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Contains(cp.status().message(), "CP1258")) << cp.status().message();
  EXPECT_TRUE(Contains(cp.status().message(), "0x81 at offset 2")) << cp.status().message();
  for (const char* bad : {"B\xE1"
                          "c",
                          "\xC0\xAF", "\xED\xA0\x80", "Gi\xE1\xBA"}) {
    const StatusOr<std::string> u = ToUtf8Nfc(bad, Encoding::kUtf8);
    ASSERT_FALSE(u.ok()) << bad;
    EXPECT_EQ(u.status().code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(Contains(u.status().message(), "UTF-8")) << u.status().message();
  }
  // TCVN3 and VISCII define every byte.
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  EXPECT_TRUE(ToUtf8Nfc(all, Encoding::kTcvn3).ok());
  EXPECT_TRUE(ToUtf8Nfc(all, Encoding::kViscii).ok());
}

TEST(TextEncodingDecode, Utf8IsValidatedAndNormalised) {
  EXPECT_EQ(ToUtf8Nfc("Ha\u0300 No\u0302\u0323i", Encoding::kUtf8).value(), "Hà Nội");
  EXPECT_EQ(ToUtf8Nfc("", Encoding::kUtf8).value(), "");
  EXPECT_EQ(ToUtf8Nfc("", Encoding::kCp1258).value(), "");
  EXPECT_EQ(ToUtf8Nfc("", Encoding::kVni).value(), "");
}

// ---------------------------------------------------------------- NFC and UTF-8

TEST(TextEncodingNfc, ComposesDecomposedInput) {
  EXPECT_EQ(NormalizeNfc("a\u0300"), "à");
  EXPECT_EQ(NormalizeNfc("\u01AF\u0303"), "Ữ");
  EXPECT_EQ(NormalizeNfc("U\u031B\u0303"), "Ữ");
  EXPECT_EQ(NormalizeNfc("e\u0302\u0301"), "ế");
  EXPECT_EQ(NormalizeNfc("a\u0306\u0323"), "ặ");  // marks in non-canonical order
  EXPECT_EQ(NormalizeNfc("Vie\u0323\u0302t Nam"), "Việt Nam");
  EXPECT_EQ(NormalizeNfc("B\u1EAFc Giang"), "Bắc Giang");  // already NFC
  EXPECT_EQ(NormalizeNfc("plain ascii"), "plain ascii");
  EXPECT_EQ(NormalizeNfc(""), "");
  EXPECT_EQ(NormalizeNfc("x\u0301"), "x\u0301");  // no precomposed form
  EXPECT_EQ(NormalizeNfc("a\xFF"
                         "b"),
            "a\xFF"
            "b");  // ill-formed bytes copied
}

TEST(TextEncodingUtf8, AcceptsWellFormed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("Bac Giang"));
  EXPECT_TRUE(IsValidUtf8("Bắc Giang"));
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));
  EXPECT_TRUE(IsValidUtf8("\xC2\x80"));          // U+0080
  EXPECT_TRUE(IsValidUtf8("\xE0\xA0\x80"));      // U+0800
  EXPECT_TRUE(IsValidUtf8("\xED\x9F\xBF"));      // U+D7FF
  EXPECT_TRUE(IsValidUtf8("\xEE\x80\x80"));      // U+E000
  EXPECT_TRUE(IsValidUtf8("\xF0\x90\x80\x80"));  // U+10000
  EXPECT_TRUE(IsValidUtf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(TextEncodingUtf8, RejectsOverlongsSurrogatesAndTruncation) {
  const char* const kOverlongs[] = {"\xC0\xAF",     "\xC1\xBF",         "\xE0\x80\xAF",
                                    "\xE0\x9F\xBF", "\xF0\x80\x80\xAF", "\xF0\x8F\xBF\xBF"};
  const char* const kSurrogates[] = {"\xED\xA0\x80", "\xED\xBF\xBF", "\xED\xB0\x80"};
  const char* const kAboveMax[] = {"\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\xFF"};
  const char* const kTruncated[] = {"\xE1\xBA", "B\xE1",        "\xF0\x90\x80",
                                    "\xC3",     "\xE1\xBA\x41", "\xC3\xC3\xA0"};
  const char* const kStrayContinuation[] = {"\x80", "a\xBFz"};
  for (const auto& group :
       {std::vector<const char*>(std::begin(kOverlongs), std::end(kOverlongs)),
        std::vector<const char*>(std::begin(kSurrogates), std::end(kSurrogates)),
        std::vector<const char*>(std::begin(kAboveMax), std::end(kAboveMax)),
        std::vector<const char*>(std::begin(kTruncated), std::end(kTruncated)),
        std::vector<const char*>(std::begin(kStrayContinuation), std::end(kStrayContinuation))}) {
    for (const char* bad : group) {
      EXPECT_FALSE(IsValidUtf8(bad)) << testing::PrintToString(bad);
      EXPECT_FALSE(IsValidUtf8(std::string("ok ") + bad + " ok")) << testing::PrintToString(bad);
    }
  }
}

// ---------------------------------------------------------------- names

TEST(TextEncodingParse, Aliases) {
  for (const char* n : {"utf-8", "UTF-8", "utf8", "Utf8", " UTF-8\r\n"}) {
    EXPECT_EQ(ParseEncoding(n), Encoding::kUtf8) << n;
  }
  for (const char* n : {"cp1258", "CP1258", "windows-1258", "Windows-1258", "1258", "ANSI 1258"}) {
    EXPECT_EQ(ParseEncoding(n), Encoding::kCp1258) << n;
  }
  for (const char* n :
       {"tcvn3", "TCVN3", "tcvn", "TCVN", "tcvn5712-1", "TCVN5712-1", "abc", "ABC"}) {
    EXPECT_EQ(ParseEncoding(n), Encoding::kTcvn3) << n;
  }
  for (const char* n : {"viscii", "VISCII"}) EXPECT_EQ(ParseEncoding(n), Encoding::kViscii) << n;
  for (const char* n : {"vni", "VNI", "vni-windows", "VNI-Windows"}) {
    EXPECT_EQ(ParseEncoding(n), Encoding::kVni) << n;
  }
  for (const char* n : {"", "latin1", "utf-16", "windows-1252", "tcvn3x", "utf-8 bom"}) {
    EXPECT_EQ(ParseEncoding(n), std::nullopt) << n;
  }
}

TEST(TextEncodingParse, ToStringRoundTrips) {
  EXPECT_EQ(ToString(Encoding::kUtf8), "UTF-8");
  EXPECT_EQ(ToString(Encoding::kCp1258), "CP1258");
  EXPECT_EQ(ToString(Encoding::kTcvn3), "TCVN3");
  EXPECT_EQ(ToString(Encoding::kViscii), "VISCII");
  EXPECT_EQ(ToString(Encoding::kVni), "VNI");
  for (const Encoding e :
       {Encoding::kUtf8, Encoding::kCp1258, Encoding::kTcvn3, Encoding::kViscii, Encoding::kVni}) {
    EXPECT_EQ(ParseEncoding(ToString(e)), e);
  }
}

// ---------------------------------------------------------------- detection

struct SampleSet {
  Encoding encoding;
  std::vector<std::string> samples;
};

std::vector<SampleSet> AllSampleSets() {
  std::vector<SampleSet> sets = {{Encoding::kUtf8, kNames}, {Encoding::kVni, VniAll()}};
  for (const Legacy& l : kIconvEncodings) {
    sets.push_back({l.encoding, EncodeAll(kNames, l.iconv_name)});
  }
  return sets;
}

TEST(TextEncodingDetect, PicksTheEncodingOfEachSampleSet) {
  for (const SampleSet& set : AllSampleSets()) {
    const EncodingGuess g = DetectEncoding(set.samples);
    EXPECT_EQ(g.encoding, set.encoding) << ToString(set.encoding) << ": " << g.reason;
    EXPECT_DOUBLE_EQ(g.score, 1.0) << ToString(set.encoding) << ": " << g.reason;
    EXPECT_FALSE(g.reason.empty());
  }
}

TEST(TextEncodingDetect, PicksTheEncodingOfShortSampleSets) {
  // Three names are enough; so is each name alone for the longer names.
  for (const SampleSet& set : AllSampleSets()) {
    const std::vector<std::string> three(set.samples.begin(), set.samples.begin() + 3);
    const EncodingGuess g = DetectEncoding(three);
    EXPECT_EQ(g.encoding, set.encoding) << ToString(set.encoding) << ": " << g.reason;
    for (std::size_t i = 0; i < 7; ++i) {
      const EncodingGuess one = DetectEncoding({set.samples[i]});
      EXPECT_EQ(one.encoding, set.encoding)
          << ToString(set.encoding) << " " << kNames[i] << ": " << one.reason;
    }
  }
}

TEST(TextEncodingDetect, KeepsACorrectClaim) {
  for (const SampleSet& set : AllSampleSets()) {
    const EncodingGuess g = DetectEncoding(set.samples, set.encoding);
    EXPECT_EQ(g.encoding, set.encoding) << g.reason;
    EXPECT_DOUBLE_EQ(g.score, 1.0);
    EXPECT_TRUE(Contains(g.reason, "the .cpg says " + std::string(ToString(set.encoding))))
        << g.reason;
  }
}

TEST(TextEncodingDetect, OverridesAWrongClaimAndSaysWhy) {
  const auto tcvn = EncodeAll(kNames, "TCVN5712-1");
  const auto cp1258 = EncodeAll(kNames, "CP1258");
  const auto viscii = EncodeAll(kNames, "VISCII");
  const struct {
    const std::vector<std::string>* samples;
    Encoding claimed;
    Encoding actual;
  } kCases[] = {
      {&tcvn, Encoding::kUtf8, Encoding::kTcvn3},   {&cp1258, Encoding::kTcvn3, Encoding::kCp1258},
      {&tcvn, Encoding::kViscii, Encoding::kTcvn3}, {&viscii, Encoding::kTcvn3, Encoding::kViscii},
      {&cp1258, Encoding::kVni, Encoding::kCp1258}, {&kNames, Encoding::kCp1258, Encoding::kUtf8},
      {&kNames, Encoding::kTcvn3, Encoding::kUtf8},
  };
  for (const auto& c : kCases) {
    const EncodingGuess g = DetectEncoding(*c.samples, c.claimed);
    EXPECT_EQ(g.encoding, c.actual) << g.reason;
    const std::string claimed(ToString(c.claimed));
    const std::string actual(ToString(c.actual));
    EXPECT_TRUE(Contains(g.reason, "the .cpg says " + claimed + " but")) << g.reason;
    EXPECT_TRUE(Contains(g.reason, actual + " fits best")) << g.reason;
  }
  const std::vector<std::string> vni = VniAll();
  const EncodingGuess g = DetectEncoding(vni, Encoding::kCp1258);
  EXPECT_EQ(g.encoding, Encoding::kVni) << g.reason;

  const EncodingGuess not_utf8 = DetectEncoding(tcvn, Encoding::kUtf8);
  EXPECT_EQ(not_utf8.reason.rfind(
                "the .cpg says UTF-8 but the text is not valid UTF-8; TCVN3 fits best", 0),
            0u)
      << not_utf8.reason;
}

TEST(TextEncodingDetect, PicksTheEncodingOfOrdinaryText) {
  const std::vector<std::string> text = {
      "Học sinh không có thiết bị học trực tuyến phải học ở nhà",
      "Sóng điện thoại di động yếu ở vùng núi phía đông",
      "Người dân phản ánh mất sóng thường xuyên",
      "Nguyễn Thị Hương",
      "Bùi Thị Ngọc Ánh",
  };
  for (const std::string& line : text) {
    for (const Legacy& l : kIconvEncodings) {
      const EncodingGuess g = DetectEncoding({Encode(line, l.iconv_name)});
      EXPECT_EQ(g.encoding, l.encoding) << l.iconv_name << " " << line << ": " << g.reason;
    }
  }
  // The first two lines in VNI, as shown in Windows-1252.
  const std::string vni[] = {
      Vni("Hoïc sinh khoâng coù thieát bò hoïc tröïc tuyeán phaûi hoïc ôû nhaø"),
      Vni("Soùng ñieän thoaïi di ñoäng yeáu ôû vuøng nuùi phía ñoâng")};
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(ToUtf8Nfc(vni[i], Encoding::kVni).value(), text[i]);
    const EncodingGuess g = DetectEncoding({vni[i]});
    EXPECT_EQ(g.encoding, Encoding::kVni) << text[i] << ": " << g.reason;
  }
}

TEST(TextEncodingDetect, ReasonQuotesTheDecodingError) {
  const EncodingGuess g = DetectEncoding({"Huy\xEA\xF2n", "Ba\x81"}, Encoding::kCp1258);
  EXPECT_NE(g.encoding, Encoding::kCp1258);
  EXPECT_TRUE(Contains(g.reason,
                       "the .cpg says CP1258 but the text is not valid CP1258: byte "
                       "0x81 at offset 2 (sample 2)"))
      << g.reason;
}

TEST(TextEncodingDetect, PlainAsciiIsUtf8) {
  const EncodingGuess g = DetectEncoding({"Bac Giang", "Luc Ngan", "THCS 2", ""});
  EXPECT_EQ(g.encoding, Encoding::kUtf8);
  EXPECT_DOUBLE_EQ(g.score, 1.0);
  EXPECT_EQ(g.reason, "plain ASCII");
  EXPECT_EQ(DetectEncoding({}).encoding, Encoding::kUtf8);
  // A claim is harmless on ASCII, where every encoding reads the same.
  EXPECT_EQ(DetectEncoding({"Bac Giang"}, Encoding::kTcvn3).encoding, Encoding::kTcvn3);
}

TEST(TextEncodingDetect, ValidUtf8WithVietnameseLettersIsUtf8) {
  const EncodingGuess g = DetectEncoding({"Bac Giang", "Đồng"});
  EXPECT_EQ(g.encoding, Encoding::kUtf8);
  EXPECT_TRUE(Contains(g.reason, "valid UTF-8")) << g.reason;
}

TEST(TextEncodingDetect, ReasonNamesTheOtherCandidates) {
  const EncodingGuess g = DetectEncoding(EncodeAll(kNames, "TCVN5712-1"));
  EXPECT_EQ(g.encoding, Encoding::kTcvn3);
  EXPECT_EQ(g.reason.rfind("not valid UTF-8; TCVN3 fits best", 0), 0u) << g.reason;
  for (const char* other : {"CP1258", "VISCII", "VNI"}) {
    EXPECT_TRUE(Contains(g.reason, other)) << g.reason;
  }
}

}  // namespace
}  // namespace covgap::importers
