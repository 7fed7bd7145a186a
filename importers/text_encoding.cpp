#include "importers/text_encoding.h"

#include <iconv.h>
#include <unicode/bytestream.h>
#include <unicode/normalizer2.h>
#include <unicode/utypes.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace covgap::importers {
namespace {

// ---------------------------------------------------------------- UTF-8

constexpr std::size_t kValid = std::string_view::npos;

// Offset of the first byte that starts an ill-formed sequence, or kValid.
std::size_t FirstInvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    if (b < 0x80) {
      ++i;
      continue;
    }
    int len = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
      len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
      len = 3;
      if (b == 0xE0) lo = 0xA0;  // overlong
      if (b == 0xED) hi = 0x9F;  // surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
      len = 4;
      if (b == 0xF0) lo = 0x90;  // overlong
      if (b == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;  // continuation byte, C0/C1 overlong lead, or F5..FF
    }
    if (i + len > s.size()) return i;
    for (int k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      const unsigned char min = k == 1 ? lo : 0x80;
      const unsigned char max = k == 1 ? hi : 0xBF;
      if (c < min || c > max) return i;
    }
    i += len;
  }
  return kValid;
}

void AppendUtf8(char32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Code points of UTF-8 text (decoder output, so well-formed; a stray byte becomes U+FFFD).
void CodePoints(std::string_view s, std::u32string* out) {
  out->clear();
  for (std::size_t i = 0; i < s.size();) {
    const auto b = static_cast<unsigned char>(s[i]);
    const std::size_t len = b < 0x80   ? 1
                            : b < 0xC2 ? 0
                            : b < 0xE0 ? 2
                            : b < 0xF0 ? 3
                            : b < 0xF5 ? 4
                                       : 0;
    char32_t cp = len == 1 ? b : len == 2 ? (b & 0x1F) : len == 3 ? (b & 0x0F) : (b & 0x07);
    bool ok = len > 0 && i + len <= s.size();
    for (std::size_t k = 1; ok && k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      ok = (c & 0xC0) == 0x80;
      cp = (cp << 6) | (c & 0x3F);
    }
    out->push_back(ok ? cp : 0xFFFD);
    i += ok ? len : 1;
  }
}

bool IsAscii(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x80; });
}

std::string ByteAt(std::string_view bytes, std::size_t offset) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "byte 0x%02X at offset %zu",
                static_cast<unsigned>(static_cast<unsigned char>(bytes[offset])), offset);
  return buf;
}

// ---------------------------------------------------------------- ICU NFC

bool NfcInto(std::string_view utf8, std::string* out) {
  if (utf8.size() > static_cast<std::size_t>(INT32_MAX)) return false;  // ICU's length limit
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return false;
  out->clear();
  out->reserve(utf8.size());
  icu::StringByteSink<std::string> sink(out);
  nfc->normalizeUTF8(0, icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())), sink,
                     nullptr, status);
  return U_SUCCESS(status);
}

StatusOr<std::string> Nfc(std::string_view utf8) {
  std::string out;
  if (!NfcInto(utf8, &out)) return Internal("ICU cannot normalise to NFC");
  return out;
}

// ---------------------------------------------------------------- iconv

struct IconvCloser {
  void operator()(void* cd) const { iconv_close(static_cast<iconv_t>(cd)); }
};
static_assert(std::is_pointer_v<iconv_t>);
using IconvHandle = std::unique_ptr<std::remove_pointer_t<iconv_t>, IconvCloser>;

const char* IconvName(Encoding e) {
  switch (e) {
    case Encoding::kCp1258:
      return "CP1258";
    case Encoding::kTcvn3:
      return "TCVN5712-1";
    case Encoding::kViscii:
      return "VISCII";
    case Encoding::kUtf8:
    case Encoding::kVni:
      break;
  }
  return nullptr;
}

// A glibc iconv decoder from one single-byte Vietnamese charset to UTF-8 (not yet NFC).
class IconvDecoder {
 public:
  static StatusOr<IconvDecoder> Open(Encoding from) {
    const iconv_t cd = iconv_open("UTF-8", IconvName(from));
    if (cd == reinterpret_cast<iconv_t>(-1)) {
      return Internal(std::string("iconv cannot convert from ") + IconvName(from) + " to UTF-8");
    }
    return IconvDecoder(from, IconvHandle(cd));
  }

  StatusOr<std::string> Decode(std::string_view bytes) {
    iconv_t cd = handle_.get();
    iconv(cd, nullptr, nullptr, nullptr, nullptr);  // initial state
    std::string out(bytes.size() * 3 + 16, '\0');
    // iconv takes char** for its input but does not write through it.
    char* in = const_cast<char*>(bytes.data());
    std::size_t in_left = bytes.size();
    char* outp = out.data();
    std::size_t out_left = out.size();
    bool flushing = false;
    while (true) {
      const std::size_t r = flushing ? iconv(cd, nullptr, nullptr, &outp, &out_left)
                                     : iconv(cd, &in, &in_left, &outp, &out_left);
      if (r != static_cast<std::size_t>(-1)) {
        if (flushing) break;
        flushing = true;  // CP1258/TCVN decoders hold back a letter that a mark may follow
        continue;
      }
      if (errno == E2BIG) {
        const std::size_t used = out.size() - out_left;
        out.resize(out.size() * 2);
        outp = out.data() + used;
        out_left = out.size() - used;
        continue;
      }
      const std::size_t offset = bytes.size() - in_left;
      if (errno == EILSEQ && offset < bytes.size()) {
        return InvalidArgument(std::string("not valid ") + std::string(ToString(from_)) + ": " +
                               ByteAt(bytes, offset));
      }
      return InvalidArgument(std::string("not valid ") + std::string(ToString(from_)) +
                             ": truncated at offset " + std::to_string(offset));
    }
    out.resize(out.size() - out_left);
    return out;
  }

 private:
  IconvDecoder(Encoding from, IconvHandle handle) : from_(from), handle_(std::move(handle)) {}

  Encoding from_;
  IconvHandle handle_;
};

// ---------------------------------------------------------------- VNI-Windows

// VNI writes a Vietnamese letter as an ASCII base letter followed by one byte for its diacritic
// and tone (a + 0xE1 'á' = ấ); ơ ư đ, the toned i and ỵ are single bytes. Capital forms of every
// byte sit 0x20 lower (Á 0xC1 for á 0xE1); either form may follow either case of base letter,
// and the decoded letter takes the base letter's case.
enum class VniKind : std::uint8_t { kUnused, kTone, kCircumflex, kBreve, kLetter };
struct VniByte {
  VniKind kind = VniKind::kUnused;
  char32_t mark = 0;    // tone mark (kTone, and the tone of kCircumflex/kBreve if any)
  char32_t letter = 0;  // kLetter: the small letter
};

constexpr char32_t kGraveMark = 0x300, kAcuteMark = 0x301, kTildeMark = 0x303, kHookMark = 0x309,
                   kDotMark = 0x323;
constexpr char32_t kCircumflexMark = 0x302, kBreveMark = 0x306;

// Indexed by (byte & 0xDF) - 0xC0, i.e. by the capital form of the byte.
constexpr std::array<VniByte, 32> MakeVniTable() {
  std::array<VniByte, 32> t{};
  auto set = [&t](unsigned char upper, VniKind kind, char32_t mark, char32_t letter = 0) {
    t[upper - 0xC0] = VniByte{kind, mark, letter};
  };
  set(0xD9, VniKind::kTone, kAcuteMark);  // Ù ù
  set(0xD8, VniKind::kTone, kGraveMark);  // Ø ø
  set(0xDB, VniKind::kTone, kHookMark);   // Û û
  set(0xD5, VniKind::kTone, kTildeMark);  // Õ õ
  set(0xCF, VniKind::kTone, kDotMark);    // Ï ï
  set(0xC2, VniKind::kCircumflex, 0);
  set(0xC1, VniKind::kCircumflex, kAcuteMark);
  set(0xC0, VniKind::kCircumflex, kGraveMark);
  set(0xC5, VniKind::kCircumflex, kHookMark);
  set(0xC3, VniKind::kCircumflex, kTildeMark);
  set(0xC4, VniKind::kCircumflex, kDotMark);
  set(0xCA, VniKind::kBreve, 0);
  set(0xC9, VniKind::kBreve, kAcuteMark);
  set(0xC8, VniKind::kBreve, kGraveMark);
  set(0xDA, VniKind::kBreve, kHookMark);
  set(0xDC, VniKind::kBreve, kTildeMark);
  set(0xCB, VniKind::kBreve, kDotMark);
  set(0xD4, VniKind::kLetter, 0, U'ơ');
  set(0xD6, VniKind::kLetter, 0, U'ư');
  set(0xD1, VniKind::kLetter, 0, U'đ');
  set(0xCD, VniKind::kLetter, kAcuteMark, U'í');
  set(0xCC, VniKind::kLetter, kGraveMark, U'ì');
  set(0xC6, VniKind::kLetter, kHookMark, U'ỉ');
  set(0xD3, VniKind::kLetter, kTildeMark, U'ĩ');
  set(0xD2, VniKind::kLetter, kDotMark, U'ị');
  set(0xCE, VniKind::kLetter, kDotMark, U'ỵ');
  return t;
}
constexpr std::array<VniByte, 32> kVniTable = MakeVniTable();

char32_t ToUpperVietnamese(char32_t small) {
  switch (small) {
    case U'ơ':
      return U'Ơ';
    case U'ư':
      return U'Ư';
    case U'đ':
      return U'Đ';
    case U'í':
      return U'Í';
    case U'ì':
      return U'Ì';
    case U'ỉ':
      return U'Ỉ';
    case U'ĩ':
      return U'Ĩ';
    case U'ị':
      return U'Ị';
    case U'ỵ':
      return U'Ỵ';
    default:
      return small;
  }
}

// Decodes VNI-Windows into UTF-8 with combining marks (NFC composes them).
StatusOr<std::string> DecodeVni(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  // The letter just written: its ASCII base (small) or 0, whether it already carries a
  // circumflex/breve/horn and a tone.
  char base = 0;
  bool vowel = false;
  bool has_diacritic = false;
  bool has_tone = false;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    if (b < 0x80) {
      out.push_back(static_cast<char>(b));
      const char small =
          (b >= 'A' && b <= 'Z') ? static_cast<char>(b - 'A' + 'a') : static_cast<char>(b);
      const bool letter = small >= 'a' && small <= 'z';
      base = letter ? small : 0;
      vowel = letter && std::string_view("aeiouy").find(small) != std::string_view::npos;
      has_diacritic = false;
      has_tone = false;
      continue;
    }
    const VniByte v = b >= 0xC0 ? kVniTable[(b & 0xDF) - 0xC0] : VniByte{};
    const auto fail = [&](std::string_view why) {
      return InvalidArgument("not valid VNI: " + ByteAt(bytes, i) + " " + std::string(why));
    };
    switch (v.kind) {
      case VniKind::kUnused:
        return fail("is not used by VNI-Windows");
      case VniKind::kLetter: {
        const bool upper = b < 0xE0;
        AppendUtf8(upper ? ToUpperVietnamese(v.letter) : v.letter, &out);
        base = 0;
        vowel = v.letter != U'đ';
        has_diacritic = true;
        has_tone = v.mark != 0;
        continue;
      }
      case VniKind::kTone:
        if (!vowel || has_tone) return fail("is a tone mark that does not follow a vowel");
        AppendUtf8(v.mark, &out);
        has_tone = true;
        continue;
      case VniKind::kCircumflex:
        if ((base != 'a' && base != 'e' && base != 'o') || has_diacritic || has_tone) {
          return fail("is a circumflex that does not follow a, e or o");
        }
        break;
      case VniKind::kBreve:
        if (base != 'a' || has_diacritic || has_tone) {
          return fail("is a breve that does not follow a");
        }
        break;
    }
    AppendUtf8(v.kind == VniKind::kCircumflex ? kCircumflexMark : kBreveMark, &out);
    if (v.mark != 0) AppendUtf8(v.mark, &out);
    has_diacritic = true;
    has_tone = v.mark != 0;
  }
  return out;
}

// Decodes into UTF-8, not yet NFC.
class Decoder {
 public:
  static StatusOr<Decoder> Open(Encoding from) {
    if (IconvName(from) == nullptr) return Decoder(from, std::nullopt);
    StatusOr<IconvDecoder> iconv = IconvDecoder::Open(from);
    if (!iconv.ok()) return iconv.status();
    return Decoder(from, std::move(iconv).value());
  }

  StatusOr<std::string> Decode(std::string_view bytes) {
    switch (from_) {
      case Encoding::kUtf8: {
        const std::size_t bad = FirstInvalidUtf8(bytes);
        if (bad != kValid) return InvalidArgument("not valid UTF-8: " + ByteAt(bytes, bad));
        return std::string(bytes);
      }
      case Encoding::kVni:
        return DecodeVni(bytes);
      case Encoding::kCp1258:
      case Encoding::kTcvn3:
      case Encoding::kViscii:
        break;
    }
    return iconv_->Decode(bytes);
  }

 private:
  Decoder(Encoding from, std::optional<IconvDecoder> iconv)
      : from_(from), iconv_(std::move(iconv)) {}

  Encoding from_;
  std::optional<IconvDecoder> iconv_;
};

StatusOr<std::string> DecodeNfc(Decoder& decoder, std::string_view bytes) {
  StatusOr<std::string> raw = decoder.Decode(bytes);
  if (!raw.ok()) return raw.status();
  return Nfc(*raw);
}

// ---------------------------------------------------------------- Vietnamese plausibility

// Each row: the vowel without tone, then with grave, acute, hook, tilde, dot below.
constexpr std::array<std::u32string_view, 24> kVowelRows = {
    U"aàáảãạ", U"ăằắẳẵặ", U"âầấẩẫậ", U"eèéẻẽẹ", U"êềếểễệ", U"iìíỉĩị", U"oòóỏõọ", U"ôồốổỗộ",
    U"ơờớởỡợ", U"uùúủũụ", U"ưừứửữự", U"yỳýỷỹỵ", U"AÀÁẢÃẠ", U"ĂẰẮẲẴẶ", U"ÂẦẤẨẪẬ", U"EÈÉẺẼẸ",
    U"ÊỀẾỂỄỆ", U"IÌÍỈĨỊ", U"OÒÓỎÕỌ", U"ÔỒỐỔỖỘ", U"ƠỜỚỞỠỢ", U"UÙÚỦŨỤ", U"ƯỪỨỬỮỰ", U"YỲÝỶỸỴ"};

enum class Tone : std::uint8_t { kNone, kGrave, kAcute, kHook, kTilde, kDot };

struct Letter {
  char32_t plain = 0;  // small, without tone: a ă â … y, b … z, đ
  Tone tone = Tone::kNone;
  bool upper = false;
};

// The Vietnamese letters outside ASCII (134 of them), by code point.
const std::unordered_map<char32_t, Letter>& VietnameseLetters() {
  static const auto* const kLetters = [] {
    auto* t = new std::unordered_map<char32_t, Letter>();
    for (std::size_t r = 0; r < kVowelRows.size(); ++r) {
      const std::u32string_view row = kVowelRows[r];
      const bool upper = r >= kVowelRows.size() / 2;
      const char32_t plain = kVowelRows[upper ? r - kVowelRows.size() / 2 : r][0];
      for (std::size_t k = 0; k < row.size(); ++k) {
        if (row[k] >= 0x80) (*t)[row[k]] = Letter{plain, static_cast<Tone>(k), upper};
      }
    }
    (*t)[U'đ'] = Letter{U'đ', Tone::kNone, false};
    (*t)[U'Đ'] = Letter{U'đ', Tone::kNone, true};
    return t;
  }();
  return *kLetters;
}

// Typographic punctuation that legitimate text carries next to words.
bool IsNeutralPunctuation(char32_t cp) {
  return cp == 0xA0 || cp == 0xAB || cp == 0xBB || cp == 0xB0 || (cp >= 0x2010 && cp <= 0x2015) ||
         (cp >= 0x2018 && cp <= 0x201F) || cp == 0x2022 || cp == 0x2026 || cp == 0x20AB ||
         cp == 0x2116;
}

bool IsAsciiSeparator(char32_t cp) {
  return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' ||
         (cp > ' ' && cp < 0x7F && !(cp >= '0' && cp <= '9') && !(cp >= 'a' && cp <= 'z') &&
          !(cp >= 'A' && cp <= 'Z'));
}

constexpr std::u32string_view kVowels = U"aăâeêioôơuưy";

bool IsVowel(char32_t plain) { return kVowels.find(plain) != std::u32string_view::npos; }

// Onsets, longest first where one is a prefix of another.
constexpr std::array<std::u32string_view, 28> kOnsets = {
    U"ngh", U"ng", U"nh", U"ch", U"gh", U"gi", U"kh", U"ph", U"qu", U"th", U"tr", U"b", U"c", U"d",
    U"đ",   U"g",  U"h",  U"k",  U"l",  U"m",  U"n",  U"p",  U"r",  U"s",  U"t",  U"v", U"x", U""};
// Final consonants; k for the place names of the Central Highlands (Đắk Lắk).
constexpr std::array<std::u32string_view, 10> kCodas = {U"",   U"c",  U"ch", U"m", U"n",
                                                        U"ng", U"nh", U"p",  U"t", U"k"};

enum class Coda : std::uint8_t { kNone, kRequired, kOptional };
struct Rhyme {
  std::u32string_view vowels;
  Coda coda;
};
constexpr Rhyme kRhymes[] = {
    {U"a", Coda::kOptional},   {U"ă", Coda::kRequired},  {U"â", Coda::kRequired},
    {U"e", Coda::kOptional},   {U"ê", Coda::kOptional},  {U"i", Coda::kOptional},
    {U"o", Coda::kOptional},   {U"ô", Coda::kOptional},  {U"ơ", Coda::kOptional},
    {U"u", Coda::kOptional},   {U"ư", Coda::kOptional},  {U"y", Coda::kOptional},
    {U"ai", Coda::kNone},      {U"ao", Coda::kNone},     {U"au", Coda::kNone},
    {U"ay", Coda::kNone},      {U"âu", Coda::kNone},     {U"ây", Coda::kNone},
    {U"eo", Coda::kNone},      {U"êu", Coda::kNone},     {U"ia", Coda::kNone},
    {U"iê", Coda::kRequired},  {U"iu", Coda::kNone},     {U"oa", Coda::kOptional},
    {U"oă", Coda::kRequired},  {U"oe", Coda::kOptional}, {U"oi", Coda::kNone},
    {U"oo", Coda::kRequired},  {U"ôi", Coda::kNone},     {U"ơi", Coda::kNone},
    {U"ua", Coda::kNone},      {U"uâ", Coda::kRequired}, {U"uê", Coda::kOptional},
    {U"ui", Coda::kNone},      {U"uô", Coda::kRequired}, {U"uơ", Coda::kNone},
    {U"uy", Coda::kOptional},  {U"ưa", Coda::kNone},     {U"ưi", Coda::kNone},
    {U"ưu", Coda::kNone},      {U"ươ", Coda::kRequired}, {U"yê", Coda::kRequired},
    {U"iêu", Coda::kNone},     {U"yêu", Coda::kNone},    {U"oai", Coda::kNone},
    {U"oay", Coda::kNone},     {U"oao", Coda::kNone},    {U"oeo", Coda::kNone},
    {U"uây", Coda::kNone},     {U"uôi", Coda::kNone},    {U"uya", Coda::kNone},
    {U"uyê", Coda::kRequired}, {U"uyu", Coda::kNone},    {U"ươi", Coda::kNone},
    {U"ươu", Coda::kNone},
};

bool IsRhyme(std::u32string_view vowels, std::u32string_view coda) {
  if (std::find(kCodas.begin(), kCodas.end(), coda) == kCodas.end()) return false;
  for (const Rhyme& r : kRhymes) {
    if (r.vowels != vowels) continue;
    return coda.empty() ? r.coda != Coda::kRequired : r.coda != Coda::kNone;
  }
  return false;
}

bool StartsWithFrontVowel(std::u32string_view s) {
  return !s.empty() && (s[0] == U'i' || s[0] == U'e' || s[0] == U'ê' || s[0] == U'y');
}

// Whether onset + vowels + coda with `tone` is spelled as Vietnamese spells syllables.
bool IsSpelledRight(std::u32string_view onset, std::u32string_view vowels, std::u32string_view coda,
                    Tone tone) {
  if (!IsRhyme(vowels, coda)) return false;
  // c ch p t (and k) close a syllable only with the acute or dot-below tone.
  if ((coda == U"c" || coda == U"ch" || coda == U"p" || coda == U"t" || coda == U"k") &&
      tone != Tone::kAcute && tone != Tone::kDot) {
    return false;
  }
  // ch and nh follow only a, ê, i (anh, ênh, inh, oanh, uênh, uynh).
  if ((coda == U"ch" || coda == U"nh") && vowels != U"a" && vowels != U"ê" && vowels != U"i" &&
      vowels != U"oa" && vowels != U"uê" && vowels != U"uy") {
    return false;
  }
  // k gh ngh before i e ê y only; c g ng never before e ê (gi/gì are written with g + i).
  const bool front = StartsWithFrontVowel(vowels);
  if ((onset == U"k" || onset == U"gh" || onset == U"ngh") && !front) return false;
  if ((onset == U"c" || onset == U"ng") && front) return false;
  if (onset == U"g" && front && vowels[0] != U'i') return false;
  return true;
}

// Whether a word of letters reads as one Vietnamese syllable (or a capitals-only abbreviation
// without vowels, such as ĐTN).
bool IsSyllable(const std::vector<Letter>& word) {
  int tones = 0;
  Tone tone = Tone::kNone;
  bool all_upper = true;
  bool any_vowel = false;
  std::u32string plain;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (i > 1 && word[i].upper != word[1].upper) return false;  // lower, Title or UPPER case
    if (i == 1 && word[1].upper && !word[0].upper) return false;
    if (word[i].tone != Tone::kNone) {
      ++tones;
      tone = word[i].tone;
    }
    all_upper = all_upper && word[i].upper;
    any_vowel = any_vowel || IsVowel(word[i].plain);
    plain.push_back(word[i].plain);
  }
  if (tones > 1) return false;
  if (!any_vowel) return all_upper && tones == 0;
  const std::u32string_view s = plain;
  for (const std::u32string_view onset : kOnsets) {
    if (s.substr(0, onset.size()) != onset) continue;
    const std::u32string_view rest = s.substr(onset.size());
    std::size_t v = 0;
    while (v < rest.size() && IsVowel(rest[v])) ++v;
    if (v > 0 && IsSpelledRight(onset, rest.substr(0, v), rest.substr(v), tone)) return true;
  }
  return false;
}

// Rough relative frequencies in Vietnamese text, only to break ties between decodings that read
// equally well: level tone > acute ≈ grave > dot > hook > tilde; a is the commonest vowel.
double LetterWeight(const Letter& l) {
  double base = 0.5;
  switch (l.plain) {
    case U'a':
      base = 1.0;
      break;
    case U'i':
    case U'o':
    case U'u':
    case U'â':
      base = 0.6;
      break;
    case U'e':
    case U'ă':
      base = 0.35;
      break;
    case U'y':
      base = 0.25;
      break;
    default:  // ê ô ơ ư đ
      break;
  }
  constexpr double kTone[] = {1.0, 0.5, 0.55, 0.25, 0.15, 0.45};
  return base * kTone[static_cast<int>(l.tone)];
}

// Frequent syllables of Vietnamese place, school and person names (those with a non-ASCII letter;
// only these are compared). A wrong decoding hits one by chance; a right one hits them often.
constexpr std::u32string_view kCommonSyllables[] = {
    U"xã",    U"huyện", U"tỉnh",  U"phường", U"thị",   U"trấn",   U"thành",  U"phố",    U"quận",
    U"thôn",  U"xóm",   U"bản",   U"làng",   U"ấp",    U"tổ",     U"dân",    U"trường", U"tiểu",
    U"học",   U"cơ",    U"sở",    U"phổ",    U"thông", U"mầm",    U"điểm",   U"nhà",    U"văn",
    U"hóa",   U"hoá",   U"ủy",    U"uỷ",     U"sông",  U"núi",    U"đồng",   U"đông",   U"tây",
    U"bắc",   U"tân",   U"hòa",   U"hoà",    U"bình",  U"sơn",    U"thượng", U"hạ",     U"phú",
    U"lộc",   U"phúc",  U"thịnh", U"hưng",   U"yên",   U"việt",   U"tiến",   U"thắng",  U"lợi",
    U"nghĩa", U"đức",   U"hải",   U"hồ",     U"cầu",   U"chợ",    U"mới",    U"đường",  U"số",
    U"quốc",  U"đại",   U"kỳ",    U"lý",     U"lê",    U"nguyễn", U"trần",   U"phạm",   U"hoàng",
    U"võ",    U"đỗ",    U"đặng",  U"vũ",     U"mỹ",    U"thủy",   U"thuỷ",   U"lương",  U"vĩnh",
};

// The small letter `l` stands for: its vowel row's entry for the tone, or `plain`.
char32_t SmallLetter(const Letter& l) {
  for (std::size_t r = 0; r < kVowelRows.size() / 2; ++r) {
    if (kVowelRows[r][0] == l.plain) return kVowelRows[r][static_cast<std::size_t>(l.tone)];
  }
  return l.plain;
}

bool IsCommonSyllable(const std::vector<Letter>& word) {
  std::u32string small;
  for (const Letter& l : word) small.push_back(SmallLetter(l));
  return std::find(std::begin(kCommonSyllables), std::end(kCommonSyllables), small) !=
         std::end(kCommonSyllables);
}

// How a decoding reads: one word, or all the samples.
struct Reading {
  int words = 0;             // words holding a non-ASCII character
  int vietnamese_words = 0;  // of those, the ones that read as Vietnamese
  int common_words = 0;      // of those, the ones in kCommonSyllables
  int implausible_chars = 0;
  int vietnamese_letters = 0;
  double log_likelihood = 0;  // sum of log LetterWeight over the Vietnamese letters

  double Score() const { return words == 0 ? 1.0 : static_cast<double>(vietnamese_words) / words; }

  Reading& operator+=(const Reading& o) {
    words += o.words;
    vietnamese_words += o.vietnamese_words;
    common_words += o.common_words;
    implausible_chars += o.implausible_chars;
    vietnamese_letters += o.vietnamese_letters;
    log_likelihood += o.log_likelihood;
    return *this;
  }
};

// How one word (text between ASCII blanks and punctuation) reads.
Reading ReadWord(std::u32string_view word) {
  const auto& letters = VietnameseLetters();
  Reading r;
  // Typographic punctuation around a word is fine; inside it, it is not.
  while (!word.empty() && IsNeutralPunctuation(word.front())) word.remove_prefix(1);
  while (!word.empty() && IsNeutralPunctuation(word.back())) word.remove_suffix(1);
  bool non_ascii = false;
  bool digits = false;
  std::vector<Letter> syllable;
  for (const char32_t cp : word) {
    if (cp < 0x80) {
      if (cp >= '0' && cp <= '9') {
        digits = true;
      } else if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) {
        const bool upper = cp <= 'Z';
        syllable.push_back(Letter{upper ? cp - 'A' + 'a' : cp, Tone::kNone, upper});
      } else {
        ++r.implausible_chars;  // C0 control or DEL
      }
      continue;
    }
    non_ascii = true;
    const auto it = letters.find(cp);
    if (it != letters.end()) {
      syllable.push_back(it->second);
      ++r.vietnamese_letters;
      r.log_likelihood += std::log(LetterWeight(it->second));
    } else {
      ++r.implausible_chars;  // combining mark, foreign letter, symbol, C1 control, U+FFFD…
    }
  }
  if (!non_ascii && r.implausible_chars == 0) return r;
  r.words = 1;
  if (r.implausible_chars > 0) return r;
  if (digits || IsSyllable(syllable)) r.vietnamese_words = 1;
  if (!digits && IsCommonSyllable(syllable)) r.common_words = 1;
  return r;
}

// Reads decoded texts word by word, judging each distinct word once.
class TextReader {
 public:
  void Read(std::string_view utf8) {
    CodePoints(utf8, &cps_);
    const std::u32string_view text = cps_;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
      if (i < text.size() && !IsAsciiSeparator(text[i])) continue;
      if (i > start) {
        const std::u32string_view word = text.substr(start, i - start);
        auto it = seen_.find(word);
        if (it == seen_.end()) it = seen_.emplace(std::u32string(word), ReadWord(word)).first;
        reading_ += it->second;
      }
      start = i + 1;
    }
  }

  const Reading& reading() const { return reading_; }

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::u32string_view s) const {
      return std::hash<std::u32string_view>{}(s);
    }
  };

  Reading reading_;
  std::u32string cps_;
  std::unordered_map<std::u32string, Reading, Hash, std::equal_to<>> seen_;
};

struct Candidate {
  Encoding encoding;
  bool decodes = false;
  std::string failure;  // why not, when !decodes: "not valid VNI: byte … (sample 3)"
  Reading reading;
};

// Candidates in the order that breaks remaining ties.
constexpr std::array<Encoding, 5> kCandidates = {Encoding::kUtf8, Encoding::kTcvn3, Encoding::kVni,
                                                 Encoding::kCp1258, Encoding::kViscii};

Candidate Evaluate(Encoding e, const std::vector<std::string>& samples) {
  Candidate c{e, false, "", {}};
  StatusOr<Decoder> decoder = Decoder::Open(e);
  if (!decoder.ok()) {
    c.failure = "not readable: " + decoder.status().message();
    return c;
  }
  TextReader reader;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    StatusOr<std::string> text = DecodeNfc(*decoder, samples[i]);
    if (!text.ok()) {
      c.failure = text.status().message() + " (sample " + std::to_string(i + 1) + ")";
      return c;
    }
    reader.Read(*text);
  }
  c.reading = reader.reading();
  c.decodes = true;
  return c;
}

// Whether `a` reads better than `b` (both decode); earlier candidates win ties.
bool Better(const Candidate& a, const Candidate& b) {
  // Scores compared as exact fractions: vietnamese_words / words, 1 when there are no words.
  const auto share = [](const Reading& r) {
    return r.words == 0 ? std::pair<std::int64_t, std::int64_t>{1, 1}
                        : std::pair<std::int64_t, std::int64_t>{r.vietnamese_words, r.words};
  };
  const auto [an, ad] = share(a.reading);
  const auto [bn, bd] = share(b.reading);
  if (an * bd != bn * ad) return an * bd > bn * ad;
  if (a.reading.implausible_chars != b.reading.implausible_chars) {
    return a.reading.implausible_chars < b.reading.implausible_chars;
  }
  if (a.reading.common_words != b.reading.common_words) {
    return a.reading.common_words > b.reading.common_words;
  }
  return a.reading.log_likelihood > b.reading.log_likelihood;
}

std::string WordsSummary(const Reading& r) {
  return std::to_string(r.vietnamese_words) + " of " + std::to_string(r.words) +
         " words with non-ASCII characters read as Vietnamese";
}

// "VISCII 4, CP1258 0, VNI does not decode" for every candidate but `chosen`.
std::string OthersSummary(const std::vector<Candidate>& all, Encoding chosen) {
  std::string out;
  for (const Candidate& c : all) {
    if (c.encoding == chosen) continue;
    if (!out.empty()) out += ", ";
    out += std::string(ToString(c.encoding)) +
           (c.decodes ? " " + std::to_string(c.reading.vietnamese_words) : " does not decode");
  }
  return out;
}

constexpr double kPlausibleScore = 0.9;

}  // namespace

std::optional<Encoding> ParseEncoding(std::string_view name) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!name.empty() && blank(name.front())) name.remove_prefix(1);
  while (!name.empty() && blank(name.back())) name.remove_suffix(1);
  std::string n(name);
  std::transform(n.begin(), n.end(), n.begin(), [](char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  });
  if (n == "utf-8" || n == "utf8") return Encoding::kUtf8;
  if (n == "cp1258" || n == "windows-1258" || n == "1258" || n == "ansi 1258") {
    return Encoding::kCp1258;
  }
  if (n == "tcvn3" || n == "tcvn" || n == "tcvn5712-1" || n == "abc") return Encoding::kTcvn3;
  if (n == "viscii") return Encoding::kViscii;
  if (n == "vni" || n == "vni-windows") return Encoding::kVni;
  return std::nullopt;
}

std::string_view ToString(Encoding e) {
  switch (e) {
    case Encoding::kUtf8:
      return "UTF-8";
    case Encoding::kCp1258:
      return "CP1258";
    case Encoding::kTcvn3:
      return "TCVN3";
    case Encoding::kViscii:
      return "VISCII";
    case Encoding::kVni:
      return "VNI";
  }
  return "?";
}

bool IsValidUtf8(std::string_view bytes) { return FirstInvalidUtf8(bytes) == kValid; }

std::string NormalizeNfc(std::string_view utf8) {
  std::string out;
  if (!NfcInto(utf8, &out)) return std::string(utf8);
  return out;
}

StatusOr<std::string> ToUtf8Nfc(std::string_view bytes, Encoding from) {
  StatusOr<Decoder> decoder = Decoder::Open(from);
  if (!decoder.ok()) return decoder.status();
  return DecodeNfc(*decoder, bytes);
}

EncodingGuess DetectEncoding(const std::vector<std::string>& samples,
                             std::optional<Encoding> claimed) {
  std::vector<Candidate> all;
  all.reserve(kCandidates.size());
  all.push_back(Evaluate(Encoding::kUtf8, samples));
  const Candidate& utf8 = all[0];
  const bool ascii = std::all_of(samples.begin(), samples.end(), IsAscii);
  const bool utf8_rule = ascii || (utf8.decodes && utf8.reading.vietnamese_letters > 0);
  // The legacy candidates are only needed when the UTF-8 rule does not decide, or for a claim.
  for (const Encoding e : kCandidates) {
    if (e != Encoding::kUtf8 && (!utf8_rule || e == claimed)) all.push_back(Evaluate(e, samples));
  }
  const Candidate* best = nullptr;
  for (const Candidate& c : all) {
    if (c.decodes && (best == nullptr || Better(c, *best))) best = &c;
  }

  // Without a claim: UTF-8 when it is valid and plain ASCII or Vietnamese, else the best.
  const Candidate* chosen = &utf8;
  std::string fit;     // why `chosen`, to follow a rejected claim
  std::string reason;  // why `chosen`, when nothing is claimed
  if (ascii) {
    reason = "plain ASCII";
    fit = "the text is plain ASCII";
  } else if (utf8_rule) {
    reason = "valid UTF-8 with Vietnamese letters (" + WordsSummary(utf8.reading) + ")";
    fit = "UTF-8 fits best: " + reason;
  } else {
    chosen = best;  // never null: TCVN3 and VISCII decode any bytes
    fit = std::string(ToString(best->encoding)) + " fits best (" + WordsSummary(best->reading) +
          "; " + OthersSummary(all, best->encoding) + ")";
    reason = (utf8.decodes ? "" : "not valid UTF-8; ") + fit;
  }
  if (!claimed.has_value()) return EncodingGuess{chosen->encoding, chosen->reading.Score(), reason};

  const Candidate& claim = *std::find_if(
      all.begin(), all.end(), [&](const Candidate& c) { return c.encoding == *claimed; });
  const std::string name(ToString(*claimed));
  const double score = claim.reading.Score();
  if (claim.decodes && (score >= kPlausibleScore || score >= chosen->reading.Score())) {
    return EncodingGuess{
        *claimed, score,
        "the .cpg says " + name + " and the text reads so (" + WordsSummary(claim.reading) + ")"};
  }
  std::string against;
  if (!claim.decodes) {
    // "the text is not valid CP1258: byte 0x81 at offset 2 (sample 3)"
    against = *claimed == Encoding::kUtf8 ? "the text is not valid UTF-8"
                                          : "the text is " + claim.failure;
  } else {
    against = "in " + name + " only " + WordsSummary(claim.reading);
  }
  return EncodingGuess{chosen->encoding, chosen->reading.Score(),
                       "the .cpg says " + name + " but " + against + "; " + fit};
}

}  // namespace covgap::importers
