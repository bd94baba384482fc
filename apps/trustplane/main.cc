#include <cstdio>
int main() { std::puts("trustplane"); return 0; }
