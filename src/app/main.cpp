#include <iostream>

int main() {
  std::cout << "mailwright " << MW_VERSION << "\n";
  return 0;
}
