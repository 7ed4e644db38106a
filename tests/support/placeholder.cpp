// Test support library; helpers live beside this file.
namespace mw::test {}
