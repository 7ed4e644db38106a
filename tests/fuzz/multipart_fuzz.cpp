// The multipart/form-data reader as src/web/context.cpp configures it (HTMLForm, field limit,
// a part handler that keeps uploaded files), fed a body after a fixed boundary header.
#include <Poco/Exception.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/MessageHeader.h>
#include <Poco/Net/PartHandler.h>
#include <Poco/StreamCopier.h>

#include <cstdint>
#include <sstream>
#include <string>

namespace {

class Collector : public Poco::Net::PartHandler {
 public:
  void handlePart(const Poco::Net::MessageHeader& header, std::istream& stream) override {
    std::string bytes;
    Poco::StreamCopier::copyToString(stream, bytes);
    total += bytes.size() + header.size();
  }
  std::size_t total = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_POST, "/clients/import");
  req.setContentType("multipart/form-data; boundary=XyZ");
  std::istringstream in(body);
  Poco::Net::HTMLForm form;
  form.setFieldLimit(1000);
  Collector collector;
  try {
    form.load(req, in, collector);
  } catch (const Poco::Exception&) {
    // Refused as "Malformed form data" (400) by the server.
  }
  return 0;
}
