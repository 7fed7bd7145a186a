// Text encodings of the files people bring, and conversion to the store's UTF-8 NFC.
//
// Supported: UTF-8, Windows-1258 (CP1258), TCVN3 (TCVN 5712:1993, the "ABC" fonts), VISCII and
// VNI-Windows. The three single-byte character sets are decoded with glibc iconv; VNI (a font
// encoding: a base Latin letter followed by a tone/diacritic byte from 0xC0–0xFF) by a table here.
// Every decoded string is put into Unicode NFC with ICU, so the precomposed letters come out even
// where a decoder emits a base letter plus combining marks (CP1258 always can).
//
// TCVN3 and VISCII use some C0 bytes for capital letters: TCVN3 0x01 0x02 0x04–0x06 0x11–0x17
// (Ú Ụ Ừ Ử Ữ Ứ Ự Ỳ Ỷ Ỹ Ý Ỵ), VISCII 0x02 0x05 0x06 0x14 0x19 0x1E (Ẳ Ẵ Ẫ Ỷ Ỹ Ỵ). They are decoded
// as those letters, as the standards say; every other byte below 0x20 stays the control character
// it is (tab, LF and CR included).
//
// Validity: UTF-8 is checked strictly (no overlongs, surrogates, code points above U+10FFFF or
// truncated sequences); CP1258 rejects its nine undefined bytes (0x81 0x8A 0x8D–0x90 0x9A 0x9D
// 0x9E); TCVN3 and VISCII define every byte; VNI rejects the bytes it does not use (0x80–0xBF,
// 0xC7 0xD0 0xD7 0xDD–0xDF 0xE7 0xF0 0xF7 0xFD–0xFF) and a diacritic or tone byte that does not
// follow a letter it can go on (a circumflex only after a, e, o; a breve only after a; a tone
// only after a vowel that has none yet).
//
// DetectEncoding scores each candidate decoding by the share of its words (text between ASCII
// blanks and punctuation) holding non-ASCII characters that read as a Vietnamese syllable:
// Vietnamese letters only, at most one tone, an onset, vowel group and final consonant that
// Vietnamese spelling allows (c ch p t only with the acute or dot-below tone; ch nh only after
// a ê i; k gh ngh only before i e ê y), lower, Title or UPPER case. Control characters, box
// drawing and other symbols, isolated combining marks and Latin letters Vietnamese does not use
// make a word implausible. See docs/importing.md, "Encodings".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "geo/base/status.h"

namespace covgap::importers {

enum class Encoding { kUtf8, kCp1258, kTcvn3, kViscii, kVni };

// Case-insensitive, surrounding blanks ignored (a .cpg's content can be passed as is):
//   utf-8 utf8 | cp1258 windows-1258 1258 "ansi 1258" | tcvn3 tcvn tcvn5712-1 abc | viscii |
//   vni vni-windows. Anything else is nullopt.
std::optional<Encoding> ParseEncoding(std::string_view name);

// "UTF-8", "CP1258", "TCVN3", "VISCII", "VNI".
std::string_view ToString(Encoding e);

// Well-formed UTF-8 per RFC 3629 (U+0000 included).
bool IsValidUtf8(std::string_view bytes);

// Unicode NFC of UTF-8 text (ICU Normalizer2). Ill-formed byte sequences are copied unchanged.
std::string NormalizeNfc(std::string_view utf8);

// Decodes `bytes` from `from` into UTF-8 NFC. InvalidArgument, naming the offset and byte, when
// the bytes are not valid in that encoding; Internal when iconv or ICU cannot be set up.
StatusOr<std::string> ToUtf8Nfc(std::string_view bytes, Encoding from);

struct EncodingGuess {
  Encoding encoding = Encoding::kUtf8;
  // Share (0..1) of the words with non-ASCII characters that the chosen decoding reads as
  // Vietnamese; 1 when there are none.
  double score = 1.0;
  std::string reason;  // one line for logs and import reports
};

// The most plausible encoding of text samples (e.g. a shapefile's string values):
// - samples that are all valid UTF-8 and either plain ASCII or holding a Vietnamese letter are
//   UTF-8. Otherwise every encoding that decodes all samples is a candidate, and the one with
//   the best score wins; ties go to the fewest implausible characters, then the most words that
//   are frequent syllables of Vietnamese names (xã, huyện, trường, …), then letters and tones
//   that are common in Vietnamese, then the order UTF-8, TCVN3, VNI, CP1258, VISCII.
// - `claimed` (what the .cpg says) wins when it decodes every sample and scores at least 0.9, or
//   as well as the choice above; otherwise that choice is returned and `reason` names both ("the
//   .cpg says UTF-8 but the text is not valid UTF-8; TCVN3 fits best (…)").
// Limits: a single short name can read as Vietnamese in two encodings (CP1258 "Xã Tân" is TCVN3
// "Xó Tõn"); pass many samples. TCVN3 text typed in the ABC capital fonts (.VnTimeH) stores
// capitals as small letters and decodes as small letters. UTF-8 that is itself mojibake
// (legacy bytes re-saved as UTF-8) is kept as UTF-8.
EncodingGuess DetectEncoding(const std::vector<std::string>& samples,
                             std::optional<Encoding> claimed = std::nullopt);

}  // namespace covgap::importers
