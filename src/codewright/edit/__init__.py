"""codewright.edit"""
