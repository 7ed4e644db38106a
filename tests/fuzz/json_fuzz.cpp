// The JSON body reader as Ctx::jsonBody() uses it: Poco's parser, objects only.
#include <Poco/Exception.h>
#include <Poco/JSON/Parser.h>

#include <cstdint>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    auto v = Poco::JSON::Parser().parse(text.empty() ? "{}" : text);
    if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
      auto o = v.extract<Poco::JSON::Object::Ptr>();
      for (const auto& key : o->getNames()) (void)o->get(key).toString();
    }
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  return 0;
}
