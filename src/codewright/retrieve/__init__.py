"""codewright.retrieve"""
