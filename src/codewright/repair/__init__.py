"""codewright.repair"""
