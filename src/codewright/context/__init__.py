"""codewright.context"""
