namespace mw {
const char* version() {
  return MW_VERSION;
}
}  // namespace mw
