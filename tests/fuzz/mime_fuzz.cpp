// The MIME header encoder: whatever the subject and names, every header line stays within 78
// octets, 7-bit, no bare CR or LF, and the encoded words decode back to the (one-line) input.
#include <sodium.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/mail/mime.h"

namespace {

std::string decodeWords(const std::string& header) {
  std::string out;
  std::size_t pos = 0;
  bool lastWasWord = false;
  std::size_t gap = 0;  // spaces written since the last encoded word
  while (pos < header.size()) {
    if (header.compare(pos, 10, "=?UTF-8?B?") == 0) {
      auto end = header.find("?=", pos + 10);
      if (end == std::string::npos) std::abort();
      std::string b64 = header.substr(pos + 10, end - pos - 10);
      std::string bin(b64.size(), '\0');
      std::size_t len = 0;
      if (sodium_base642bin(reinterpret_cast<unsigned char*>(bin.data()), bin.size(), b64.data(),
                            b64.size(), nullptr, &len, nullptr,
                            sodium_base64_VARIANT_ORIGINAL) != 0)
        std::abort();
      // Folding whitespace between two encoded words is not part of the text (RFC 2047 6.2).
      if (lastWasWord) out.resize(out.size() - gap);
      out += bin.substr(0, len);
      pos = end + 2;
      lastWasWord = true;
      gap = 0;
      continue;
    }
    if (header.compare(pos, 3, "\r\n ") == 0) {
      pos += 2;  // unfold: CRLF goes, the space stays
      continue;
    }
    out += header[pos++];
    if (out.back() != ' ') lastWasWord = false;
    ++gap;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (sodium_init() < 0) std::abort();
  std::string value(reinterpret_cast<const char*>(data), size);
  std::string encoded = mw::mail::encodeHeaderWords(value, 9);
  std::size_t line = 9;
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(encoded[i]);
    if (c >= 0x80 || c == 0) std::abort();
    if (c == '\r') {
      if (i + 2 >= encoded.size() || encoded[i + 1] != '\n' || encoded[i + 2] != ' ') std::abort();
      line = 0;
      ++i;
      continue;
    }
    if (c == '\n') std::abort();
    if (++line > 78) std::abort();
  }
  std::string expected = value;
  for (auto& ch : expected) {
    auto u = static_cast<unsigned char>(ch);
    if (u < 0x20 || u == 0x7F) ch = ' ';
  }
  if (decodeWords(encoded) != expected) {
    std::fprintf(stderr, "encoded: %s\ndecoded: %s\n", encoded.c_str(),
                 decodeWords(encoded).c_str());
    std::abort();
  }
  mw::mail::formatAddress({value, "a@example.com"});
  mw::mail::isValidEmail(value);
  return 0;
}
