#include <cstdio>

int main() {
  std::puts("alike: under construction");
  return 0;
}
