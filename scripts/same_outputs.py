"""Compares two output trees of scripts/same-outputs.sh: byte-identical files, or PNGs (also
those embedded in HTML as data URIs) that decode to the same pixels. Exits 1 on a difference.
Pure standard library: a small PNG decoder (8-bit, filters 0-4) is below."""
import sys,zlib,struct,hashlib
def pixels(path):
    d=open(path,'rb').read(); assert d[:8]==b'\x89PNG\r\n\x1a\n'
    i=8; idat=b''; 
    while i<len(d):
        n,=struct.unpack('>I',d[i:i+4]); t=d[i+4:i+8]; c=d[i+8:i+8+n]; i+=12+n
        if t==b'IHDR': w,h,bd,ct=struct.unpack('>IIBB',c[:10])
        elif t==b'IDAT': idat+=c
    bpp={2:3,6:4,0:1,4:2}[ct]; raw=zlib.decompress(idat); stride=w*bpp
    out=bytearray(); prev=bytearray(stride); p=0
    for y in range(h):
        f=raw[p]; line=bytearray(raw[p+1:p+1+stride]); p+=1+stride
        for x in range(stride):
            a=line[x-bpp] if x>=bpp else 0; b=prev[x]; cc=prev[x-bpp] if x>=bpp else 0
            if f==1: line[x]=(line[x]+a)&255
            elif f==2: line[x]=(line[x]+b)&255
            elif f==3: line[x]=(line[x]+(a+b)//2)&255
            elif f==4:
                pa=abs(b-cc); pb=abs(a-cc); pc=abs(a+b-2*cc)
                pr=a if pa<=pb and pa<=pc else (b if pb<=pc else cc)
                line[x]=(line[x]+pr)&255
        out+=line; prev=line
    return (w,h,ct,hashlib.sha256(bytes(out)).hexdigest())

import os,re,base64,tempfile
A,B=sys.argv[1],sys.argv[2]; bad=0; same=0; pixsame=0
def norm(t): return re.sub(rb'/tmp/medgem-prs-default-[A-Za-z0-9]+', b'TMP', t)
def pngs_in_html(t):
    parts=re.split(rb'data:image/png;base64,([A-Za-z0-9+/=]+)', t)
    return parts[0::2], parts[1::2]
for root,_,files in os.walk(A):
    for f in files:
        a=os.path.join(root,f); b=os.path.join(B,os.path.relpath(a,A))
        if not os.path.exists(b): print('MISSING',b); bad+=1; continue
        x=open(a,'rb').read(); y=open(b,'rb').read()
        if norm(x)==norm(y): same+=1; continue
        if f.endswith('.png') and pixels(a)==pixels(b): pixsame+=1; continue
        if f.endswith('.html'):
            ta,pa=pngs_in_html(norm(x)); tb,pb=pngs_in_html(norm(y))
            if ta==tb and len(pa)==len(pb):
                ok=True
                for u,v in zip(pa,pb):
                    fa=tempfile.mktemp(); fb=tempfile.mktemp()
                    open(fa,'wb').write(base64.b64decode(u)); open(fb,'wb').write(base64.b64decode(v))
                    if pixels(fa)!=pixels(fb): ok=False
                if ok: pixsame+=1; continue
        print('DIFF',a,b); bad+=1
for root,_,files in os.walk(B):
    for f in files:
        b=os.path.join(root,f)
        if not os.path.exists(os.path.join(A,os.path.relpath(b,B))): print('EXTRA',b); bad+=1
print(f'identical {same}, same pixels {pixsame}, different {bad}')
sys.exit(1 if bad else 0)
